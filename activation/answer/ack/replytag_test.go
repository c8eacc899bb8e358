package ack

import (
	"strings"
	"testing"
	"time"
)

func TestReplyTag(t *testing.T) {
	oldKey, newKey := []byte("old-key-0123456789abcdef"), []byte("new-key-0123456789abcdef")
	old, err := NewSigner([][]byte{oldKey}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	rotated, err := NewSigner([][]byte{newKey, oldKey}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	tag := old.ReplyTag("K12345-n123456", "mi-uwe-boehm")
	if n, ok := ReplyTagNotification(tag); !ok || n != "K12345-n123456" {
		t.Fatalf("ReplyTagNotification(%q) = %q, %v", tag, n, ok)
	}
	if len("kaskade+"+tag) > 64 {
		t.Fatalf("tag %q too long for a local part", tag)
	}
	cases := []struct {
		name               string
		signer             *Signer
		tag, notif, person string
		want               bool
	}{
		{"issued", old, tag, "K12345-n123456", "mi-uwe-boehm", true},
		{"after key rotation", rotated, tag, "K12345-n123456", "mi-uwe-boehm", true},
		{"folded to lower case", old, strings.ToLower(tag), "K12345-n123456", "mi-uwe-boehm", true},
		{"folded to upper case", old, strings.ToUpper(tag), "K12345-n123456", "mi-uwe-boehm", true},
		{"another person", old, tag, "K12345-n123456", "mi-deputy", false},
		{"another notification", old, tag, "K12345-n123457", "mi-uwe-boehm", false},
		{"bare notification id", old, "K12345-n123456", "K12345-n123456", "mi-uwe-boehm", false},
		{"unknown key", mustSigner(t, []byte("other-key-0123456789abcdef")), tag, "K12345-n123456", "mi-uwe-boehm", false},
		{"flipped character", old, tag[:len(tag)-1] + otherChar(tag[len(tag)-1]), "K12345-n123456", "mi-uwe-boehm", false},
		{"not base32", old, "K1-n1-0000000000000000", "K1-n1", "mi-uwe-boehm", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.signer.VerifyReplyTag(tc.tag, tc.notif, tc.person); got != tc.want {
				t.Fatalf("VerifyReplyTag(%q, %q, %q) = %v, want %v", tc.tag, tc.notif, tc.person, got, tc.want)
			}
		})
	}
}

func mustSigner(t *testing.T, key []byte) *Signer {
	t.Helper()
	s, err := NewSigner([][]byte{key}, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func otherChar(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}
