package backup

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Version is the version of the backup format.
const Version = 1

const manifestFile = "manifest.json"

// Stream kinds in the manifest.
const (
	KindStream = "stream"
	KindKV     = "kv"
	KindObject = "object"
)

// Manifest describes a backup.
type Manifest struct {
	Version int       `json:"version"`
	Created time.Time `json:"created"`
	Prefix  string    `json:"prefix"` // stream name prefix, e.g. KASKADE
	Streams []Stream  `json:"streams"`
	Files   []File    `json:"files,omitempty"`
}

// Stream is one backed-up stream (a KV bucket or an object store is a stream too).
type Stream struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Bucket string `json:"bucket,omitempty"`
	// Config is the stream's configuration as the server reported it.
	Config    jetstream.StreamConfig `json:"config"`
	Consumers []Consumer             `json:"consumers,omitempty"`
	Counts
	File       string `json:"file"`
	FileSHA256 string `json:"file_sha256"`
}

// Counts are what verify compares: a backup's files, and a restored JetStream.
type Counts struct {
	Messages uint64 `json:"messages"`
	FirstSeq uint64 `json:"first_seq"`
	// LastSeq is the stream's last sequence, which may lie beyond its last
	// message (deleted tail); restore keeps it so new messages continue there.
	LastSeq uint64 `json:"last_seq"`
	// Keys counts the live keys of a KV bucket, Objects the objects of an object store.
	Keys    int `json:"keys,omitempty"`
	Objects int `json:"objects,omitempty"`
	// ContentSHA256 is over every message's sequence, subject, headers and data.
	ContentSHA256 string `json:"content_sha256"`
}

// Consumer is a durable consumer and how far it had acknowledged.
type Consumer struct {
	Config   jetstream.ConsumerConfig `json:"config"`
	AckFloor uint64                   `json:"ack_floor"`
}

// File is a plain file of the data directory.
type File struct {
	Path   string `json:"path"` // relative to the data directory, slash-separated
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func writeManifest(dir string, m Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	return writeFileSync(filepath.Join(dir, manifestFile), append(data, '\n'))
}

// ReadManifest reads the manifest of a backup directory.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("backup: manifest: %w", err)
	}
	if m.Version != Version {
		return m, fmt.Errorf("backup: manifest version %d, this Kaskade reads %d", m.Version, Version)
	}
	return m, nil
}

func writeFileSync(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("backup: %w", err)
	}
	return f.Close()
}
