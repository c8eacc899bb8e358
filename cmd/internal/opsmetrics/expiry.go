package opsmetrics

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// certificateExpiry returns the earliest NotAfter of the certificates in a
// PEM file (a chain expires with its first certificate).
func certificateExpiry(file string) (time.Time, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return time.Time{}, fmt.Errorf("opsmetrics: certificate: %w", err)
	}
	var first time.Time
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return time.Time{}, fmt.Errorf("opsmetrics: certificate %s: %w", file, err)
		}
		if first.IsZero() || cert.NotAfter.Before(first) {
			first = cert.NotAfter
		}
	}
	if first.IsZero() {
		return time.Time{}, fmt.Errorf("opsmetrics: no certificate in %s", file)
	}
	return first, nil
}

// credentialsExpiry returns when the user JWT of a NATS credentials file
// expires; zero when it carries no expiry. Only the claims are read: the
// seed in the same file is never parsed or kept.
func credentialsExpiry(file string) (time.Time, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return time.Time{}, fmt.Errorf("opsmetrics: credentials: %w", err)
	}
	jwt, ok := userJWT(string(data))
	if !ok {
		return time.Time{}, errors.New("opsmetrics: no user JWT in the credentials file")
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return time.Time{}, errors.New("opsmetrics: malformed JWT in the credentials file")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, fmt.Errorf("opsmetrics: JWT claims: %w", err)
	}
	var claims struct {
		Expires int64 `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, fmt.Errorf("opsmetrics: JWT claims: %w", err)
	}
	if claims.Expires == 0 {
		return time.Time{}, nil
	}
	return time.Unix(claims.Expires, 0), nil
}

// userJWT finds the JWT between the "BEGIN NATS USER JWT" armour lines.
func userJWT(creds string) (string, bool) {
	_, rest, ok := strings.Cut(creds, "-----BEGIN NATS USER JWT-----")
	if !ok {
		return "", false
	}
	jwt, _, ok := strings.Cut(rest, "END NATS USER JWT")
	if !ok {
		return "", false
	}
	jwt = strings.TrimRight(strings.TrimSpace(jwt), "-")
	return jwt, jwt != ""
}
