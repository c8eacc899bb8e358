package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

func TestBatchAckError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ack    string
		fenced bool
		ok     bool
	}{
		{name: "committed", ack: `{"stream":"S","seq":12,"batch":"b","count":2}`, ok: true},
		{name: "log moved", ack: `{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 11"}}`, fenced: true},
		{name: "incomplete batch", ack: `{"error":{"code":400,"err_code":10176,"description":"atomic publish batch is incomplete"}}`},
		{name: "no atomic batches on this server", ack: `{"stream":"S","seq":12}`},
		{name: "stored elsewhere", ack: `{"stream":"S","seq":13,"batch":"b","count":2}`, fenced: true},
		{name: "garbage", ack: `<html>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := batchAckError([]byte(tc.ack), "b", 2, 12)
			if (err == nil) != tc.ok || errors.Is(err, ErrFenced) != tc.fenced {
				t.Fatalf("err = %v; want ok %v, fenced %v", err, tc.ok, tc.fenced)
			}
		})
	}
}

// TestLargeDecisionSpansSeveralAtomicBatches: a decision beyond the
// server's batch limit lands in order, contiguous, with one Done at its end.
func TestLargeDecisionSpansSeveralAtomicBatches(t *testing.T) {
	js := embeddedJS(t)
	e := New(Options{JS: js})
	e.packMax = 1 // every event alone: three atomic batches
	const n = 2*atomicBatchMax + 500
	evs := make([]activation.Event, n)
	for i := range evs {
		evs[i] = activation.Event{V: activation.SchemaVersion, Incident: "K1", Kind: activation.KindUpdate,
			Update: &activation.SituationUpdate{Text: fmt.Sprint(i)}}
	}
	if err := e.persist(context.Background(), evs); err != nil {
		t.Fatal(err)
	}
	log := readLog(t, js)
	if len(log) != n || e.lastSeq != n {
		t.Fatalf("log holds %d events, engine at %d; want %d", len(log), e.lastSeq, n)
	}
	complete, _ := checkDecisions(t, log)
	for i, le := range log {
		if le.ev.Update.Text != fmt.Sprint(i) || le.ev.Done != (i == n-1) {
			t.Fatalf("event %d: text %q done %v", le.seq, le.ev.Update.Text, le.ev.Done)
		}
	}
	if !complete[1] || len(complete) != 1 {
		t.Fatalf("complete decisions %v, want just 1", complete)
	}
	if err := e.persist(context.Background(), evs[:1]); err != nil {
		t.Fatalf("the next decision: %v", err)
	}
}
