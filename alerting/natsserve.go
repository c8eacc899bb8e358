package alerting

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// serveStream answers requests on Kaskade's own subject and on the other
// identities' subjects (others) with answer (a plain publish is left to the
// stream) and hands every message persisted in stream to handle, through
// the durable consumer "intake", until ctx ends. The declarations and the
// CAP warnings are served this way.
func (i *Intake) serveStream(ctx context.Context, own, others string, answer nats.MsgHandler, stream, what string, handle func(jetstream.Msg)) error {
	nc := i.opts.JS.Conn()
	// Each other identity's requests wait in a line of their own.
	lines := newRequestQueues(ctx, answer, func(m *nats.Msg) { _ = m.Respond(busyReply(senderOf(others, m.Subject))) })
	for _, subject := range []string{own, others} {
		sub, err := nc.QueueSubscribe(subject, "kaskade-intake", func(m *nats.Msg) {
			switch {
			case m.Reply == "":
			case m.Subject == own:
				answer(m)
			case !IsInbox(m.Reply):
				i.warnThrottled("reply:"+m.Subject, "request not answered: its reply subject is no inbox (_INBOX.…)",
					"subject", m.Subject, "reply", clip(m.Reply, 64))
			default:
				lines.dispatch(senderOf(others, m.Subject), m)
			}
		})
		if err != nil {
			return fmt.Errorf("alerting: subscribe: %w", err)
		}
		defer sub.Unsubscribe()
	}
	// One message at a time, acknowledged within intakeAckWait: after a
	// kill -9, what was fetched but not handled waits for the ack wait, and
	// batches of 500 at 30 s held every queued declaration back that long.
	// Handling longer than the wait (a claim left by a dead instance: 5 s)
	// only makes a redelivery, which the claim makes a duplicate.
	cons, err := i.opts.JS.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable: "intake", AckPolicy: jetstream.AckExplicitPolicy, AckWait: intakeAckWait, MaxDeliver: -1,
	})
	if err != nil {
		return fmt.Errorf("alerting: %s consumer: %w", what, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(1))
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

// intakeAckWait is how long a declaration or warning fetched by a crashed
// instance waits before it is handed out again.
const intakeAckWait = 10 * time.Second

// InboxPrefix starts the only reply subjects another system's request is
// answered on: the inboxes its identity may read. Its reply subject is its
// own choice, and NATS checks it against nothing but JetStream's subjects;
// answered anywhere, Kaskade would publish as itself where the sender may
// not (the event log, a KV bucket, the engine's inputs, the readiness feed).
const InboxPrefix = "_INBOX."

// IsInbox reports whether reply is a subject below InboxPrefix.
func IsInbox(reply string) bool {
	rest, ok := strings.CutPrefix(reply, InboxPrefix)
	return ok && rest != "" && !strings.ContainsAny(reply, "*> \t\r\n")
}

// senderOf is the identity named by subject, one of filter's (prefix.*).
func senderOf(filter, subject string) string {
	return strings.TrimPrefix(subject, strings.TrimSuffix(filter, "*"))
}

// clip shortens s for a log line.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
