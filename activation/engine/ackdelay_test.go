package engine

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ackCounter is an input message that counts its acknowledgements.
type ackCounter struct {
	jetstream.Msg
	acks int
}

func (m *ackCounter) Ack() error { m.acks++; return nil }

// The last input of a decision is acknowledged with the next decision or
// once inputAckDelay has passed, exactly once either way.
func TestLastInputIsAcknowledgedLate(t *testing.T) {
	var late lateAck
	if late.due() != nil {
		t.Fatal("due without a held input")
	}
	first, second := &ackCounter{}, &ackCounter{}
	late.hold(first)
	if first.acks != 0 {
		t.Fatal("held input acknowledged at once")
	}
	late.hold(second)
	if first.acks != 1 || second.acks != 0 {
		t.Fatalf("after the next decision: acks %d, %d; want 1, 0", first.acks, second.acks)
	}
	select {
	case <-late.due():
		late.flush()
	case <-time.After(10 * time.Second):
		t.Fatal("held input never due")
	}
	if second.acks != 1 || late.due() != nil {
		t.Fatalf("after the delay: acks %d, due %v", second.acks, late.due())
	}
	third := &ackCounter{}
	late.hold(third)
	late.stop()
	late.stop()
	if first.acks != 1 || second.acks != 1 || third.acks != 1 {
		t.Fatalf("acks %d, %d, %d; want each once", first.acks, second.acks, third.acks)
	}
}
