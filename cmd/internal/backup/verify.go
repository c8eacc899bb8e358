package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Mismatch lists what differs from the manifest.
type Mismatch []string

func (m Mismatch) Error() string {
	return fmt.Sprintf("backup: %d difference(s) from the manifest: %v", len(m), []string(m))
}

// VerifyFiles checks the files of a backup directory against its manifest:
// each stream file's SHA-256, and the counts and content hash of its messages.
func VerifyFiles(dir string, m Manifest) error {
	var diffs Mismatch
	for _, s := range m.Streams {
		sum, err := fileSHA256(filepath.Join(dir, s.File))
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", s.File, err))
			continue
		}
		if sum != s.FileSHA256 {
			diffs = append(diffs, fmt.Sprintf("%s: SHA-256 %s, manifest %s", s.File, sum, s.FileSHA256))
		}
		c := newCounter(s.Kind)
		if err := eachMessage(filepath.Join(dir, s.File), func(msg *Message) error { c.add(msg); return nil }); err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", s.File, err))
			continue
		}
		diffs = append(diffs, compare(s.Name+" (file)", s.Counts, c.counts(s.LastSeq))...)
	}
	for _, f := range m.Files {
		sum, err := fileSHA256(filepath.Join(dir, "files", filepath.FromSlash(f.Path)))
		if err != nil || sum != f.SHA256 {
			diffs = append(diffs, fmt.Sprintf("files/%s: SHA-256 %s (%v), manifest %s", f.Path, sum, err, f.SHA256))
		}
	}
	if len(diffs) > 0 {
		return diffs
	}
	return nil
}

// VerifyJetStream compares the streams in o.JS with the manifest: message
// counts, sequences, content hashes, KV keys and objects, and consumers.
// Run it before Kaskade starts on a restored JetStream (it appends).
func VerifyJetStream(ctx context.Context, o Options, m Manifest) error {
	o.defaults()
	var diffs Mismatch
	for _, s := range m.Streams {
		stream, err := o.JS.Stream(ctx, s.Name)
		if err != nil {
			diffs = append(diffs, fmt.Sprintf("%s: %v", s.Name, err))
			continue
		}
		c := newCounter(s.Kind)
		last, err := readStream(ctx, stream, func(msg *Message) error { c.add(msg); return nil })
		if err != nil {
			return err
		}
		got := c.counts(last)
		diffs = append(diffs, compare(s.Name, s.Counts, got)...)
		for _, cons := range s.Consumers {
			if _, err := stream.Consumer(ctx, cons.Config.Durable); err != nil {
				diffs = append(diffs, fmt.Sprintf("%s: consumer %s: %v", s.Name, cons.Config.Durable, err))
			}
		}
	}
	if len(diffs) > 0 {
		return diffs
	}
	return nil
}

func compare(what string, want, got Counts) []string {
	var out []string
	check := func(field string, w, g any) {
		if w != g {
			out = append(out, fmt.Sprintf("%s: %s %v, manifest %v", what, field, g, w))
		}
	}
	check("messages", want.Messages, got.Messages)
	check("first sequence", want.FirstSeq, got.FirstSeq)
	check("last sequence", want.LastSeq, got.LastSeq)
	check("keys", want.Keys, got.Keys)
	check("objects", want.Objects, got.Objects)
	check("content SHA-256", want.ContentSHA256, got.ContentSHA256)
	return out
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// IsMismatch reports whether err lists differences (not an I/O failure).
func IsMismatch(err error) bool {
	var m Mismatch
	return errors.As(err, &m)
}
