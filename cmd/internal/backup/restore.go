package backup

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Restore rebuilds a backup in a JetStream that has none of its streams
// (a fresh data directory, or an empty account), then verifies it. Each
// stream gets its messages at their sequences, its last sequence, its
// configuration and its durable consumers at their ack floors.
func Restore(ctx context.Context, o Options) (Manifest, error) {
	o.defaults()
	m, err := ReadManifest(o.Dir)
	if err != nil {
		return m, err
	}
	if want := Prefix(o.Layout); m.Prefix != want {
		return m, fmt.Errorf("backup: the backup holds %s streams, this layout uses %s", m.Prefix, want)
	}
	if err := VerifyFiles(o.Dir, m); err != nil {
		return m, err
	}
	for _, s := range m.Streams {
		if _, err := o.JS.Stream(ctx, s.Name); err == nil {
			return m, fmt.Errorf("backup: stream %s exists already: restore only into an empty JetStream (a fresh data directory)", s.Name)
		} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return m, fmt.Errorf("backup: stream %s: %w", s.Name, err)
		}
	}
	for _, s := range m.Streams {
		if err := restoreStream(ctx, o, s); err != nil {
			return m, err
		}
		o.Logger.Info("stream restored", "stream", s.Name, "messages", s.Messages, "last_seq", s.LastSeq)
	}
	if o.DataDir != "" {
		if err := restoreFiles(o.Dir, o.DataDir, m.Files); err != nil {
			return m, err
		}
	}
	return m, VerifyJetStream(ctx, o, m)
}

// fillerSubject is where restore publishes placeholders for deleted
// sequences (removed again at the end): a subject of the stream's that no
// Kaskade message uses, or "" when the stream has no wildcard subject.
func fillerSubject(cfg jetstream.StreamConfig) string {
	for _, s := range cfg.Subjects {
		tokens := strings.Split(s, ".")
		if last := tokens[len(tokens)-1]; last == ">" || last == "*" {
			tokens[len(tokens)-1] = "_kaskade_restore_gap"
			return strings.Join(tokens, ".")
		}
	}
	return ""
}

func restoreStream(ctx context.Context, o Options, s Stream) error {
	cfg := s.Config
	// While restoring, gaps are filled and the fillers removed again.
	work := cfg
	// No-ack streams (the declare stream) acknowledge while restoring, so each sequence is checked.
	work.DenyDelete, work.DenyPurge, work.NoAck = false, false, false
	work.FirstSeq = max(s.FirstSeq, 1)
	if s.Messages == 0 {
		work.FirstSeq = s.LastSeq + 1
	}
	stream, err := o.JS.CreateStream(ctx, work)
	if err != nil {
		return fmt.Errorf("backup: create stream %s: %w", s.Name, err)
	}
	p := publisher{js: o.JS, stream: stream, filler: fillerSubject(cfg), next: work.FirstSeq}
	if err := eachMessage(filepath.Join(o.Dir, s.File), func(m *Message) error { return p.put(ctx, m) }); err != nil {
		return fmt.Errorf("backup: restore %s: %w", s.Name, err)
	}
	if err := p.fill(ctx, s.LastSeq+1); err != nil {
		return fmt.Errorf("backup: restore %s: %w", s.Name, err)
	}
	if err := p.removeFillers(ctx); err != nil {
		return fmt.Errorf("backup: restore %s: %w", s.Name, err)
	}
	cfg.FirstSeq = work.FirstSeq
	if _, err := o.JS.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("backup: configure stream %s: %w", s.Name, err)
	}
	for _, c := range s.Consumers {
		if err := restoreConsumer(ctx, o.JS, cfg, c); err != nil {
			return fmt.Errorf("backup: consumer %s of %s: %w", c.Config.Durable, s.Name, err)
		}
	}
	return nil
}

// restoreConsumer recreates a durable consumer with its configuration
// unchanged (Kaskade updates it at start, and a deliver policy cannot be
// changed), then acknowledges what it had acknowledged: a pull consumer is
// fetched and acked up to its ack floor. The rest is delivered again, as
// after a crash (claims keep sends at most once); the intake's consumer
// never sees an old declaration twice. A work queue holds only what was
// not acknowledged, so its consumer starts as it is.
func restoreConsumer(ctx context.Context, js jetstream.JetStream, stream jetstream.StreamConfig, c Consumer) error {
	cons, err := js.CreateConsumer(ctx, stream.Name, c.Config)
	if err != nil {
		return err
	}
	if c.AckFloor == 0 || stream.Retention == jetstream.WorkQueuePolicy || c.Config.DeliverSubject != "" ||
		c.Config.AckPolicy == jetstream.AckNonePolicy {
		return nil
	}
	for {
		info, err := cons.Info(ctx)
		if err != nil {
			return err
		}
		if info.AckFloor.Stream >= c.AckFloor || info.NumPending == 0 && info.NumAckPending == 0 {
			return nil
		}
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			return err
		}
		beyond := false // delivered in order: past the floor, all before it is acked
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			if meta.Sequence.Stream > c.AckFloor {
				beyond = true
				if err := m.Nak(); err != nil {
					return err
				}
				continue
			}
			if err := m.DoubleAck(ctx); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return err
		}
		if beyond {
			return nil
		}
	}
}

// publisher appends a stream's messages at their sequences.
type publisher struct {
	js      jetstream.JetStream
	stream  jetstream.Stream
	filler  string
	next    uint64   // the sequence the next publish gets
	fillers []uint64 // without a filler subject: deleted one by one
}

func (p *publisher) put(ctx context.Context, m *Message) error {
	if m.Seq < p.next {
		return fmt.Errorf("message %d out of order (next is %d)", m.Seq, p.next)
	}
	if err := p.fill(ctx, m.Seq); err != nil {
		return err
	}
	msg := nats.NewMsg(m.Subject)
	msg.Data = m.Data
	for k, vs := range m.Headers {
		if !isTransient(k) {
			msg.Header[k] = vs
		}
	}
	return p.publish(ctx, msg)
}

// fill publishes placeholders until the next sequence is seq.
func (p *publisher) fill(ctx context.Context, seq uint64) error {
	for p.next < seq {
		subject := p.filler
		if subject == "" {
			subject = p.stream.CachedInfo().Config.Subjects[0]
			p.fillers = append(p.fillers, p.next)
		}
		if err := p.publish(ctx, nats.NewMsg(subject)); err != nil {
			return err
		}
	}
	return nil
}

func (p *publisher) publish(ctx context.Context, msg *nats.Msg) error {
	ack, err := p.js.PublishMsg(ctx, msg)
	if err != nil {
		return fmt.Errorf("publish %d: %w", p.next, err)
	}
	if ack.Duplicate || ack.Sequence != p.next {
		return fmt.Errorf("message %d stored as %d (duplicate %v)", p.next, ack.Sequence, ack.Duplicate)
	}
	p.next++
	return nil
}

func (p *publisher) removeFillers(ctx context.Context) error {
	if p.filler != "" {
		if err := p.stream.Purge(ctx, jetstream.WithPurgeSubject(p.filler)); err != nil {
			return fmt.Errorf("remove placeholders: %w", err)
		}
		return nil
	}
	for _, seq := range p.fillers {
		if err := p.stream.DeleteMsg(ctx, seq); err != nil {
			return fmt.Errorf("remove placeholder %d: %w", seq, err)
		}
	}
	return nil
}

// eachMessage reads a stream file line by line.
func eachMessage(path string, f func(*Message) error) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(file, 1<<16))
	for dec.More() {
		var m Message
		if err := dec.Decode(&m); err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		if err := f(&m); err != nil {
			return err
		}
	}
	return nil
}

func restoreFiles(dir, dataDir string, files []File) error {
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(dir, "files", filepath.FromSlash(f.Path)))
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		dst := filepath.Join(dataDir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		if _, err := os.Stat(dst); err == nil {
			return fmt.Errorf("backup: %s exists already in the data directory", f.Path)
		}
		if err := writeFileSync(dst, data); err != nil {
			return err
		}
	}
	return nil
}
