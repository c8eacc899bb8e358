package audit

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// VerifyStream checks the events stream from the checkpoint up to the last
// event stored when it began. A break is in Result.Break; err is for
// failures to read.
func VerifyStream(ctx context.Context, js jetstream.JetStream, stream string, cp Checkpoint) (Result, error) {
	v := NewVerifier(cp)
	anchored := cp.Seq == 0
	// From a checkpoint its own event is read too, to check its hash.
	last, err := ReadStream(ctx, js, stream, max(cp.Seq, 1), func(seq uint64, raw []byte) bool {
		if !anchored {
			anchored = true
			if v.Anchor(seq, raw) != nil {
				return false
			}
			if seq == cp.Seq {
				return true
			}
		}
		return v.Add(seq, raw) == nil
	})
	if err == nil {
		if !anchored {
			v.Anchor(0, nil) // the log ends before the checkpoint
		}
		v.Missing(last)
	}
	return v.Result(), err
}

// ReadStream calls fn with the sequence and stored bytes of every message
// from sequence from up to the last one stored when it began, until fn
// returns false. It returns that last sequence.
func ReadStream(ctx context.Context, js jetstream.JetStream, stream string, from uint64, fn func(seq uint64, raw []byte) bool) (uint64, error) {
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return 0, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	last := s.CachedInfo().State.LastSeq
	if last < max(from, 1) {
		return last, nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: max(from, 1)})
	if err != nil {
		return last, fmt.Errorf("audit: read %s: %w", stream, err)
	}
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return last, fmt.Errorf("audit: read %s: %w", stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return last, fmt.Errorf("audit: metadata: %w", err)
			}
			if !fn(md.Sequence.Stream, m.Data()) || md.Sequence.Stream >= last {
				return last, nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return last, fmt.Errorf("audit: read %s: %w", stream, err)
		}
		if n == 0 { // the remaining events were deleted
			return last, nil
		}
	}
}
