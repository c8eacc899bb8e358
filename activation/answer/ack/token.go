package ack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors returned by Verify.
var (
	ErrMalformed    = errors.New("ack: malformed token")
	ErrBadSignature = errors.New("ack: bad token signature")
	ErrExpired      = errors.New("ack: token expired")
)

// Claims is what a token asserts: this link answers for Person (of Org) in
// Incident, sent as Notification, until Expires.
type Claims struct {
	Incident     string
	Person       string
	Org          string
	Notification string
	Expires      time.Time
}

const (
	tokenVersion = 1
	kidLen       = 4
	macLen       = sha256.Size
	minKeyLen    = 16
	// maxTokenLen bounds the work Verify does on hostile input.
	maxTokenLen = 2048
)

var b64 = base64.RawURLEncoding.Strict()

type signingKey struct {
	id  [kidLen]byte
	key []byte
}

// Signer signs and verifies acknowledgement tokens. The first key signs;
// every key verifies, so keys can be rotated by prepending a new one and
// dropping the old one after the token lifetime.
type Signer struct {
	keys []signingKey
	ttl  time.Duration
	now  func() time.Time
}

// NewSigner returns a Signer. keys must hold at least one key of at least
// 16 bytes (32 random bytes recommended); ttl is the default token lifetime;
// now defaults to time.Now.
func NewSigner(keys [][]byte, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if len(keys) == 0 {
		return nil, errors.New("ack: no signing key")
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("ack: token lifetime must be positive, got %s", ttl)
	}
	if now == nil {
		now = time.Now
	}
	s := &Signer{ttl: ttl, now: now}
	for i, k := range keys {
		if len(k) < minKeyLen {
			return nil, fmt.Errorf("ack: key %d is %d bytes, need at least %d", i, len(k), minKeyLen)
		}
		s.keys = append(s.keys, signingKey{id: keyID(k), key: append([]byte(nil), k...)})
	}
	return s, nil
}

// keyID is a short public identifier of a key, so Verify picks the right
// key without trying all of them. It reveals nothing useful about the key.
func keyID(k []byte) [kidLen]byte {
	h := sha256.New()
	h.Write([]byte("kaskade-ack-kid\x00"))
	h.Write(k)
	var id [kidLen]byte
	copy(id[:], h.Sum(nil))
	return id
}

// Sign returns a URL-safe token for c. When c.Expires is zero it is set to
// now + ttl. Expiry has one-second resolution.
func (s *Signer) Sign(c Claims) string {
	if c.Expires.IsZero() {
		c.Expires = s.now().Add(s.ttl)
	}
	k := s.keys[0]
	payload := b64.EncodeToString(encodeClaims(k.id, c))
	return payload + "." + b64.EncodeToString(mac(k.key, payload))
}

// Verify checks a token's signature and expiry and returns its claims.
// Errors wrap ErrMalformed, ErrBadSignature or ErrExpired.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) == 0 || len(token) > maxTokenLen {
		return Claims{}, ErrMalformed
	}
	payload, sig, ok := cut(token)
	if !ok {
		return Claims{}, ErrMalformed
	}
	raw, err := b64.DecodeString(payload)
	if err != nil {
		return Claims{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	gotMAC, err := b64.DecodeString(sig)
	if err != nil || len(gotMAC) != macLen {
		return Claims{}, fmt.Errorf("%w: signature encoding", ErrMalformed)
	}
	if len(raw) < 1+kidLen || raw[0] != tokenVersion {
		return Claims{}, fmt.Errorf("%w: unknown version", ErrMalformed)
	}
	var kid [kidLen]byte
	copy(kid[:], raw[1:1+kidLen])
	valid := false
	for _, k := range s.keys {
		// Compare against every key with this id; constant time per key.
		if k.id == kid && hmac.Equal(mac(k.key, payload), gotMAC) {
			valid = true
		}
	}
	if !valid {
		return Claims{}, ErrBadSignature
	}
	c, err := decodeClaims(raw[1+kidLen:])
	if err != nil {
		return Claims{}, err
	}
	if !s.now().Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

func cut(token string) (payload, sig string, ok bool) {
	for i := 0; i < len(token); i++ {
		if token[i] == '.' {
			payload, sig = token[:i], token[i+1:]
			return payload, sig, payload != "" && sig != ""
		}
	}
	return "", "", false
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("kaskade-ack-v1."))
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// encodeClaims writes version, key id, expiry (unix seconds, varint) and the
// four strings, each length-prefixed (uvarint).
func encodeClaims(kid [kidLen]byte, c Claims) []byte {
	b := make([]byte, 0, 1+kidLen+binary.MaxVarintLen64+4+len(c.Incident)+len(c.Person)+len(c.Org)+len(c.Notification))
	b = append(b, tokenVersion)
	b = append(b, kid[:]...)
	b = binary.AppendVarint(b, c.Expires.Unix())
	for _, s := range []string{c.Incident, c.Person, c.Org, c.Notification} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeClaims(b []byte) (Claims, error) {
	exp, n := binary.Varint(b)
	if n <= 0 {
		return Claims{}, fmt.Errorf("%w: expiry", ErrMalformed)
	}
	b = b[n:]
	var fields [4]string
	for i := range fields {
		l, n := binary.Uvarint(b)
		if n <= 0 || l > uint64(len(b)-n) {
			return Claims{}, fmt.Errorf("%w: field %d", ErrMalformed, i)
		}
		fields[i] = string(b[n : n+int(l)])
		b = b[n+int(l):]
	}
	if len(b) != 0 {
		return Claims{}, fmt.Errorf("%w: trailing bytes", ErrMalformed)
	}
	return Claims{
		Incident:     fields[0],
		Person:       fields[1],
		Org:          fields[2],
		Notification: fields[3],
		Expires:      time.Unix(exp, 0).UTC(),
	}, nil
}
