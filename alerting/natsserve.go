package alerting

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// serveStream answers requests on subjects with answer (a plain publish is
// left to the stream) and hands every message persisted in stream to
// handle, through the durable consumer "intake", until ctx ends. The
// declarations and the CAP warnings are served this way.
func (i *Intake) serveStream(ctx context.Context, subjects []string, answer nats.MsgHandler, stream, what string, handle func(jetstream.Msg)) error {
	nc := i.opts.JS.Conn()
	for _, subject := range subjects {
		sub, err := nc.QueueSubscribe(subject, "kaskade-intake", func(m *nats.Msg) {
			if m.Reply != "" {
				answer(m)
			}
		})
		if err != nil {
			return fmt.Errorf("alerting: subscribe: %w", err)
		}
		defer sub.Unsubscribe()
	}
	cons, err := i.opts.JS.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "intake", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 30 * time.Second, MaxDeliver: -1,
	})
	if err != nil {
		return fmt.Errorf("alerting: %s consumer: %w", what, err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("alerting: %s messages: %w", what, err)
	}
	stopCtx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		<-stopCtx.Done()
		it.Stop()
	}()
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("alerting: %s stream: %w", what, err)
		}
		handle(m)
	}
}
