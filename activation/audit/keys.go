package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// Export keys are Ed25519 keys: a private key as PEM PKCS #8 (what
// "openssl genpkey -algorithm ed25519" writes) or base64 of its 32-byte
// seed; a public key as PEM SubjectPublicKeyInfo or base64 of its 32 bytes.

// ParsePrivateKey reads a signing key; errors never quote the key.
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	if b, _ := pem.Decode(data); b != nil {
		k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
		if err != nil {
			return nil, errors.New("audit: signing key: not a PKCS #8 private key")
		}
		if ed, ok := k.(ed25519.PrivateKey); ok {
			return ed, nil
		}
		return nil, errors.New("audit: signing key: not an Ed25519 key")
	}
	seed, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("audit: signing key: neither PEM nor base64 of a 32-byte Ed25519 seed")
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// ParsePublicKey reads a verification key.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	if b, _ := pem.Decode(data); b != nil {
		k, err := x509.ParsePKIXPublicKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("audit: public key: %w", err)
		}
		if ed, ok := k.(ed25519.PublicKey); ok {
			return ed, nil
		}
		return nil, errors.New("audit: public key: not an Ed25519 key")
	}
	raw, err := base64.StdEncoding.DecodeString(string(bytes.TrimSpace(data)))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("audit: public key: neither PEM nor base64 of a 32-byte Ed25519 key")
	}
	return ed25519.PublicKey(raw), nil
}

// MarshalPrivateKey is the PEM PKCS #8 form of key.
func MarshalPrivateKey(key ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("audit: signing key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// MarshalPublicKey is the PEM SubjectPublicKeyInfo form of pub.
func MarshalPublicKey(pub ed25519.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("audit: public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}
