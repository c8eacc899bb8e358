package ack

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	key1 = []byte("0123456789abcdef0123456789abcdef")
	key2 = []byte("fedcba9876543210fedcba9876543210")
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newTestSigner(t *testing.T, c *clock, keys ...[]byte) *Signer {
	t.Helper()
	s, err := NewSigner(keys, 2*time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testClaims() Claims {
	return Claims{Incident: "inc-7", Person: "p-mueller", Org: "MI", Notification: "n-42"}
}

// flip changes one character of the base64url string s at i.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestSignVerify(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	s := newTestSigner(t, c, key1)
	tok := s.Sign(testClaims())

	if strings.ContainsAny(tok, "+/= ") || strings.Count(tok, ".") != 1 {
		t.Fatalf("token not compact url-safe: %q", tok)
	}
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	want := testClaims()
	want.Expires = c.t.Add(2 * time.Hour)
	if got != want {
		t.Fatalf("claims = %+v, want %+v", got, want)
	}
	if len(tok) > 120 {
		t.Errorf("token is %d chars, want compact", len(tok))
	}
}

func TestVerifyErrors(t *testing.T) {
	start := time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)
	c := &clock{t: start}
	s := newTestSigner(t, c, key1)
	tok := s.Sign(testClaims())
	payload, sig, _ := strings.Cut(tok, ".")

	// Rebuild the payload with another person, keeping the signature.
	other := testClaims()
	other.Person = "p-schmidt"
	other.Expires = start.Add(2 * time.Hour)
	otherPayload := base64.RawURLEncoding.EncodeToString(encodeClaims(s.keys[0].id, other))

	other2, err := NewSigner([][]byte{key2}, time.Hour, c.now)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token string
		after time.Duration
		want  error
	}{
		{"valid", tok, 0, nil},
		{"valid just before expiry", tok, 2*time.Hour - time.Second, nil},
		{"expired", tok, 2 * time.Hour, ErrExpired},
		{"tampered payload", flip(payload, 8) + "." + sig, 0, ErrBadSignature},
		{"tampered signature", payload + "." + flip(sig, 3), 0, ErrBadSignature},
		{"claims bound to person", otherPayload + "." + sig, 0, ErrBadSignature},
		{"other key", other2.Sign(testClaims()), 0, ErrBadSignature},
		{"empty", "", 0, ErrMalformed},
		{"no dot", payload + sig, 0, ErrMalformed},
		{"two parts empty", ".", 0, ErrMalformed},
		{"bad base64", payload + "!." + sig, 0, ErrMalformed},
		{"padding", payload + "." + sig + "=", 0, ErrMalformed},
		{"short signature", payload + "." + sig[:20], 0, ErrMalformed},
		{"extra dot", tok + ".x", 0, ErrMalformed},
		{"huge", strings.Repeat("A", 5000) + "." + sig, 0, ErrMalformed},
		{"bad version", "Ag." + sig, 0, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = start.Add(tt.after)
			got, err := s.Verify(tt.token)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "ack: ") {
				t.Errorf("error %q lacks package prefix", err)
			}
			if tt.want == nil && got.Person != "p-mueller" {
				t.Errorf("person = %q", got.Person)
			}
		})
	}
}

func TestKeyRotation(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	old := newTestSigner(t, c, key1)
	rotated := newTestSigner(t, c, key2, key1)
	retired := newTestSigner(t, c, key2)

	oldTok := old.Sign(testClaims())
	if _, err := rotated.Verify(oldTok); err != nil {
		t.Fatalf("old token after rotation: %v", err)
	}
	newTok := rotated.Sign(testClaims())
	if _, err := rotated.Verify(newTok); err != nil {
		t.Fatalf("new token: %v", err)
	}
	if _, err := old.Verify(newTok); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("new token with old signer: %v", err)
	}
	if _, err := retired.Verify(oldTok); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("old token after key retired: %v", err)
	}
}

func TestSignKeepsExplicitExpiry(t *testing.T) {
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	s := newTestSigner(t, c, key1)
	cl := testClaims()
	cl.Expires = c.t.Add(10 * time.Minute)
	got, err := s.Verify(s.Sign(cl))
	if err != nil || !got.Expires.Equal(cl.Expires) {
		t.Fatalf("got %v, %v", got.Expires, err)
	}
}

func TestNewSignerRejects(t *testing.T) {
	for name, keys := range map[string][][]byte{
		"no keys":   nil,
		"short key": {[]byte("short")},
	} {
		if _, err := NewSigner(keys, time.Hour, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewSigner([][]byte{key1}, 0, nil); err == nil {
		t.Error("zero ttl: no error")
	}
}

func FuzzVerify(f *testing.F) {
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	s, err := NewSigner([][]byte{key1}, time.Hour, c.now)
	if err != nil {
		f.Fatal(err)
	}
	tok := s.Sign(testClaims())
	f.Add(tok)
	f.Add("")
	f.Add(".")
	f.Add("AQ.AA")
	f.Add(tok[:len(tok)-2])
	f.Fuzz(func(t *testing.T, in string) {
		got, err := s.Verify(in)
		if err == nil && in != tok {
			// Only a correctly signed token may verify.
			if s.Sign(got) != in {
				t.Fatalf("unexpected valid token %q", in)
			}
		}
	})
}
