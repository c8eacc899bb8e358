package engine

import (
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The input stream is a work queue: an acknowledged input is removed. When
// the engine keeps up, every decision empties the stream's last block, and
// the file store then deletes that block and creates a new one (a file and,
// with store encryption, new block keys) for the next input — per decision.
// So the last input of a decision is acknowledged late: with the next
// decision, or after inputAckDelay without one. Until then it stays in the
// block. A crash in between only redelivers an input that is already
// decided, which decide skips by its sequence.

// inputAckDelay is how long the last decided input waits for its
// acknowledgement when no further input comes.
const inputAckDelay = 20 * time.Millisecond

// lateAck holds the input acknowledged late.
type lateAck struct {
	msg   jetstream.Msg
	timer *time.Timer
}

// hold acknowledges the input held so far and holds m instead.
func (l *lateAck) hold(m jetstream.Msg) {
	l.flush()
	l.msg = m
	if l.timer == nil {
		l.timer = time.NewTimer(inputAckDelay)
	} else {
		l.timer.Reset(inputAckDelay)
	}
}

// due is ready when the held input is to be acknowledged (nil: none held).
func (l *lateAck) due() <-chan time.Time {
	if l.msg == nil {
		return nil
	}
	return l.timer.C
}

// flush acknowledges the held input, if any.
func (l *lateAck) flush() {
	if l.msg == nil {
		return
	}
	_ = l.msg.Ack() // a lost ack redelivers a decided input: skipped
	l.msg = nil
}

// stop acknowledges the held input and releases the timer.
func (l *lateAck) stop() {
	l.flush()
	if l.timer != nil {
		l.timer.Stop()
	}
}
