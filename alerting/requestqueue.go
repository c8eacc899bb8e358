package alerting

import (
	"context"

	"github.com/nats-io/nats.go"
)

// requestQueueLen is how many requests of one identity wait for their
// answer; more are refused at once (rate_limited).
const requestQueueLen = 64

// maxRequestQueues bounds the lines; names come from subjects NATS lets only
// their identity publish on, so this is far above any real count.
const maxRequestQueues = 1024

// requestQueues answers the requests of every other system's identity in a
// line of its own: they all arrive on one subscription, and answered one
// after the other, one identity's flood made everyone else's requests time
// out. dispatch is called from that subscription's goroutine only.
type requestQueues struct {
	ctx    context.Context
	answer nats.MsgHandler
	busy   nats.MsgHandler // a request over its identity's line
	lines  map[string]chan *nats.Msg
}

func newRequestQueues(ctx context.Context, answer, busy nats.MsgHandler) *requestQueues {
	return &requestQueues{ctx: ctx, answer: answer, busy: busy, lines: map[string]chan *nats.Msg{}}
}

// dispatch queues m in name's line, or refuses it when the line is full.
func (q *requestQueues) dispatch(name string, m *nats.Msg) {
	line, ok := q.lines[name]
	if !ok {
		if len(q.lines) >= maxRequestQueues {
			q.busy(m)
			return
		}
		line = make(chan *nats.Msg, requestQueueLen)
		q.lines[name] = line
		go q.run(line)
	}
	select {
	case line <- m:
	default:
		q.busy(m)
	}
}

func (q *requestQueues) run(line chan *nats.Msg) {
	for {
		select {
		case <-q.ctx.Done():
			return
		case m := <-line:
			q.answer(m)
		}
	}
}

// busyReply refuses a request over its identity's line. Sent again, the
// same id or bytes give the incident the stream may have made meanwhile.
func busyReply(name string) []byte {
	return replyJSON(Result{}, errorf(CodeRateLimited,
		"too many requests of %s waiting; send it again later (the same id or bytes give the same incident)", name))
}
