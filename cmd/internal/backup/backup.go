package backup

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// Options configure a backup, restore or verify.
type Options struct {
	JS     jetstream.JetStream
	Layout engine.Layout
	// Dir is the backup directory (created by Backup, read by the others).
	Dir string
	// DataDir, when Kaskade runs the embedded NATS, is its data directory:
	// Backup also copies the identities of other systems, Restore puts them back.
	DataDir string
	Logger  *slog.Logger
	Now     func() time.Time
}

func (o *Options) defaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Prefix is the stream name prefix of a layout (KASKADE for kaskade).
func Prefix(l engine.Layout) string { return strings.TrimSuffix(l.EventsStream(), "_EVENTS") }

// skipped are buckets whose content must not come back: the engine lease
// names a leader that no longer runs.
func skipped(l engine.Layout, stream string) bool {
	return stream == "KV_"+l.LeaseBucket()
}

// kindOf tells a layout's streams apart; ok is false for foreign streams.
func kindOf(prefix, name string) (kind, bucket string, ok bool) {
	switch {
	case strings.HasPrefix(name, "KV_"+prefix+"_"):
		return KindKV, strings.TrimPrefix(name, "KV_"), true
	case strings.HasPrefix(name, "OBJ_"+prefix+"_"):
		return KindObject, strings.TrimPrefix(name, "OBJ_"), true
	case strings.HasPrefix(name, prefix+"_"):
		return KindStream, "", true
	}
	return "", "", false
}

// streamNames lists the layout's streams, sorted.
func streamNames(ctx context.Context, js jetstream.JetStream, l engine.Layout) ([]string, error) {
	prefix := Prefix(l)
	var names []string
	lister := js.StreamNames(ctx)
	for name := range lister.Name() {
		if _, _, ok := kindOf(prefix, name); ok && !skipped(l, name) {
			names = append(names, name)
		}
	}
	if err := lister.Err(); err != nil {
		return nil, fmt.Errorf("backup: list streams: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// Backup writes every stream of the layout into o.Dir, which must not exist
// yet. Each stream is read up to its last sequence when its turn comes: stop
// Kaskade for a backup that is consistent across streams.
func Backup(ctx context.Context, o Options) (Manifest, error) {
	o.defaults()
	m := Manifest{Version: Version, Created: o.Now().UTC(), Prefix: Prefix(o.Layout)}
	if err := os.Mkdir(o.Dir, 0o700); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	if err := os.Mkdir(filepath.Join(o.Dir, "streams"), 0o700); err != nil {
		return m, fmt.Errorf("backup: %w", err)
	}
	names, err := streamNames(ctx, o.JS, o.Layout)
	if err != nil {
		return m, err
	}
	if len(names) == 0 {
		return m, fmt.Errorf("backup: no %s streams in this JetStream", m.Prefix)
	}
	for _, name := range names {
		s, err := backupStream(ctx, o, name)
		if err != nil {
			return m, err
		}
		o.Logger.Info("stream backed up", "stream", name, "messages", s.Messages, "last_seq", s.LastSeq)
		m.Streams = append(m.Streams, s)
	}
	if o.DataDir != "" {
		if m.Files, err = copyFiles(o.DataDir, filepath.Join(o.Dir, "files")); err != nil {
			return m, err
		}
	}
	return m, writeManifest(o.Dir, m)
}

func backupStream(ctx context.Context, o Options, name string) (Stream, error) {
	kind, bucket, _ := kindOf(Prefix(o.Layout), name)
	out := Stream{Name: name, Kind: kind, Bucket: bucket, File: "streams/" + name + ".jsonl"}
	s, err := o.JS.Stream(ctx, name)
	if err != nil {
		return out, fmt.Errorf("backup: stream %s: %w", name, err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		return out, fmt.Errorf("backup: stream %s: %w", name, err)
	}
	out.Config = info.Config
	// Consumers first: their ack floors then never lie beyond the messages read.
	if out.Consumers, err = durables(ctx, s); err != nil {
		return out, err
	}
	f, err := os.OpenFile(filepath.Join(o.Dir, out.File), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return out, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	fileHash := sha256.New()
	w := bufio.NewWriterSize(io.MultiWriter(f, fileHash), 1<<16)
	enc := json.NewEncoder(w)
	c := newCounter(kind)
	last, err := readStream(ctx, s, func(m *Message) error {
		c.add(m)
		return enc.Encode(m)
	})
	if err != nil {
		return out, err
	}
	if err := w.Flush(); err != nil {
		return out, fmt.Errorf("backup: %w", err)
	}
	if err := f.Sync(); err != nil {
		return out, fmt.Errorf("backup: %w", err)
	}
	out.Counts = c.counts(last)
	out.FileSHA256 = hex.EncodeToString(fileHash.Sum(nil))
	return out, f.Close()
}

// durables lists a stream's durable consumers with their ack floors.
func durables(ctx context.Context, s jetstream.Stream) ([]Consumer, error) {
	var out []Consumer
	lister := s.ListConsumers(ctx)
	for ci := range lister.Info() {
		if ci.Config.Durable == "" {
			continue // ordered and other ephemeral readers
		}
		out = append(out, Consumer{Config: ci.Config, AckFloor: ci.AckFloor.Stream})
	}
	if err := lister.Err(); err != nil && !errors.Is(err, jetstream.ErrEndOfData) {
		return nil, fmt.Errorf("backup: consumers: %w", err)
	}
	slices.SortFunc(out, func(a, b Consumer) int { return strings.Compare(a.Config.Durable, b.Config.Durable) })
	return out, nil
}

// dataFiles are the files of a data directory a backup carries: the other
// systems' identities (public keys). Kaskade's own seed and the admin token
// are secrets and are created anew.
var dataFiles = []string{"nats/users.json"}

func copyFiles(dataDir, dst string) ([]File, error) {
	var out []File
	for _, rel := range dataFiles {
		data, err := os.ReadFile(filepath.Join(dataDir, filepath.FromSlash(rel)))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		path := filepath.Join(dst, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
		if err := writeFileSync(path, data); err != nil {
			return nil, err
		}
		sum := sha256.Sum256(data)
		out = append(out, File{Path: rel, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
	}
	return out, nil
}
