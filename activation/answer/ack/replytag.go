package ack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strings"
)

// replyMACLen is the MAC length of a reply tag: 80 bits, 16 base32
// characters, so kaskade+K12345-n123456-<mac>@… stays within the 64
// octets RFC 5321 allows for a local part.
const (
	replyMACLen   = 10
	replyMACChars = 16
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// ReplyTag returns the tag of an email reply address (kaskade+<tag>@…) for
// a notification sent to person: "<notification>-<mac>", the MAC in
// lowercase base32 over both, with the first key. It does not expire.
func (s *Signer) ReplyTag(notification, person string) string {
	return notification + "-" + strings.ToLower(b32.EncodeToString(replyMAC(s.keys[0].key, notification, person)))
}

// ReplyTagNotification returns the notification a reply tag names; the
// tag is not verified.
func ReplyTagNotification(tag string) (string, bool) {
	i := strings.LastIndexByte(tag, '-')
	if i <= 0 || len(tag)-i-1 != replyMACChars {
		return "", false
	}
	return tag[:i], true
}

// VerifyReplyTag reports whether tag is ReplyTag(notification, person)
// under any of s's keys. Case is ignored: some mail systems fold the
// local part of an address.
func (s *Signer) VerifyReplyTag(tag, notification, person string) bool {
	named, ok := ReplyTagNotification(tag)
	if !ok || !strings.EqualFold(named, notification) {
		return false
	}
	got, err := b32.DecodeString(strings.ToUpper(tag[len(named)+1:]))
	if err != nil || len(got) != replyMACLen {
		return false
	}
	valid := false
	for _, k := range s.keys {
		if hmac.Equal(replyMAC(k.key, notification, person), got) {
			valid = true
		}
	}
	return valid
}

func replyMAC(key []byte, notification, person string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("kaskade-reply-v1\x00"))
	h.Write([]byte(strings.ToLower(notification)))
	h.Write([]byte{0})
	h.Write([]byte(person))
	return h.Sum(nil)[:replyMACLen]
}
