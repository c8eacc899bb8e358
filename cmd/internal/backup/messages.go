package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Message is one stored message, a line of a stream file.
type Message struct {
	Seq     uint64              `json:"seq"`
	Subject string              `json:"subject"`
	Time    time.Time           `json:"time"`
	Headers map[string][]string `json:"headers,omitempty"`
	Data    []byte              `json:"data"`
}

// transient are header prefixes that steer a publish (batches, expected
// sequences) and are not part of a message's content: restore drops them.
var transient = []string{"Nats-Batch-", "Nats-Expected-", "Nats-Required-Api-Level"}

func isTransient(key string) bool {
	for _, p := range transient {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// counter accumulates the Counts of a stream's messages, in order.
type counter struct {
	kind  string
	h     hash.Hash
	c     Counts
	last  map[string]*Message // kv and object: last message per subject
	empty bool
}

func newCounter(kind string) *counter {
	return &counter{kind: kind, h: sha256.New(), last: map[string]*Message{}, empty: true}
}

func (c *counter) add(m *Message) {
	if c.empty {
		c.c.FirstSeq, c.empty = m.Seq, false
	}
	c.c.Messages++
	c.c.LastSeq = m.Seq
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], m.Seq)
	c.h.Write(n[:])
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		c.h.Write(n[:])
		c.h.Write(b)
	}
	field([]byte(m.Subject))
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		if !isTransient(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range m.Headers[k] {
			field([]byte(k))
			field([]byte(v))
		}
	}
	field(m.Data)
	if c.kind != KindStream {
		c.last[m.Subject] = &Message{Subject: m.Subject, Headers: m.Headers, Data: m.Data}
	}
}

// counts finishes: lastSeq is the stream's last sequence (≥ the last message's).
func (c *counter) counts(lastSeq uint64) Counts {
	out := c.c
	out.LastSeq = max(out.LastSeq, lastSeq)
	out.ContentSHA256 = hex.EncodeToString(c.h.Sum(nil))
	for subject, m := range c.last {
		switch c.kind {
		case KindKV:
			op := nats.Header(m.Headers).Get("KV-Operation")
			if op != "DEL" && op != "PURGE" {
				out.Keys++
			}
		case KindObject:
			if strings.Contains(subject, ".M.") && len(m.Data) > 0 {
				var info struct {
					Deleted bool `json:"deleted"`
				}
				if json.Unmarshal(m.Data, &info) == nil && !info.Deleted {
					out.Objects++
				}
			}
		}
	}
	return out
}

// readStream calls f for every message of a stream up to the last
// sequence it had when reading began, and returns that sequence.
func readStream(ctx context.Context, s jetstream.Stream, f func(*Message) error) (uint64, error) {
	info, err := s.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("backup: stream info: %w", err)
	}
	last := info.State.LastSeq
	if info.State.Msgs == 0 {
		return last, nil
	}
	if info.Config.Retention == jetstream.WorkQueuePolicy {
		// A work queue admits no second reader; its few waiting messages are fetched one by one.
		return last, getEach(ctx, s, info.State.FirstSeq, last, f)
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, fmt.Errorf("backup: reader: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1024))
	if err != nil {
		return 0, fmt.Errorf("backup: reader: %w", err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextMaxWait(5 * time.Second))
		if err != nil {
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
				// Nothing more arrives: the messages up to last were deleted meanwhile.
				if ci, ierr := cons.Info(ctx); ierr == nil && ci.NumPending == 0 {
					return last, nil
				}
			}
			return 0, fmt.Errorf("backup: read %s: %w", info.Config.Name, err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return 0, fmt.Errorf("backup: read %s: %w", info.Config.Name, err)
		}
		if meta.Sequence.Stream > last {
			return last, nil // written after the backup began
		}
		msg := &Message{Seq: meta.Sequence.Stream, Subject: m.Subject(), Time: meta.Timestamp.UTC(), Data: m.Data()}
		if h := m.Headers(); len(h) > 0 {
			msg.Headers = map[string][]string(h)
		}
		if err := f(msg); err != nil {
			return 0, err
		}
		if meta.Sequence.Stream == last || meta.NumPending == 0 {
			return last, nil
		}
	}
}

// getEach calls f for every message from first to last by direct gets.
func getEach(ctx context.Context, s jetstream.Stream, first, last uint64, f func(*Message) error) error {
	for seq := first; seq <= last; {
		m, err := s.GetMsg(ctx, seq, jetstream.WithGetMsgSubject(">"))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("backup: get %d: %w", seq, err)
		}
		if m.Sequence > last {
			return nil
		}
		msg := &Message{Seq: m.Sequence, Subject: m.Subject, Time: m.Time.UTC(), Data: m.Data}
		if len(m.Header) > 0 {
			msg.Headers = map[string][]string(m.Header)
		}
		if err := f(msg); err != nil {
			return err
		}
		seq = m.Sequence + 1
	}
	return nil
}
