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
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return Result{}, fmt.Errorf("audit: stream %s: %w", stream, err)
	}
	last := s.CachedInfo().State.LastSeq
	v := NewVerifier(cp)
	if last <= cp.Seq {
		return v.Result(), nil
	}
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: cp.Seq + 1})
	if err != nil {
		return Result{}, fmt.Errorf("audit: read %s: %w", stream, err)
	}
	for {
		batch, err := cons.Fetch(1000, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			return v.Result(), fmt.Errorf("audit: read %s: %w", stream, err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return v.Result(), fmt.Errorf("audit: metadata: %w", err)
			}
			if v.Add(md.Sequence.Stream, m.Data()) != nil || md.Sequence.Stream >= last {
				return v.Result(), nil
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return v.Result(), fmt.Errorf("audit: read %s: %w", stream, err)
		}
		if n == 0 { // the remaining events were deleted
			return v.Result(), nil
		}
	}
}
