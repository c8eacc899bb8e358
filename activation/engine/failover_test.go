package engine

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// instance is one Kaskade instance: its own connection, engine (elected
// by lease) and dispatcher.
type instance struct {
	nc     *nats.Conn
	e      *Engine
	cancel context.CancelFunc
	done   chan struct{}
}

func startInstance(t *testing.T, n *natsOnDisk, name string, sms notifiers.Notifier) *instance {
	t.Helper()
	return startInstanceWith(t, n, name, sms, nil)
}

// startInstanceWith is startInstance with setup applied to the engine
// before it runs (nil: none).
func startInstanceWith(t *testing.T, n *natsOnDisk, name string, sms notifiers.Notifier, setup func(*Engine)) *instance {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(n.s))
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	lease, err := NewLease(ctx, js, Layout{}, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := &instance{nc: nc, e: New(Options{JS: js, Elector: lease, SnapshotEvery: -1}), cancel: cancel, done: make(chan struct{})}
	if setup != nil {
		setup(in.e)
	}
	engineDone := make(chan struct{})
	go func() {
		defer close(engineDone)
		_ = in.e.Run(ctx)
	}()
	go func() {
		defer close(in.done)
		_ = in.e.Dispatch(ctx, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms}, Composer: testComposer{},
			Workers: 16, Instance: name, ReconcileAfter: 2 * time.Second})
		<-engineDone
	}()
	t.Cleanup(func() {
		in.kill()
		<-in.done
	})
	return in
}

// kill cuts the instance off NATS at once, as a crash would; its sends
// under way still reach the provider, their reports do not.
func (in *instance) kill() {
	in.nc.Close()
	in.cancel()
}

// The leading instance dies during a rate-limited fan-out: the survivor
// takes over and every person gets the first alert — the requests the dead
// one held are redelivered, those it had claimed are reconciled with the
// fake — and duplicates stay within the sends under way at the kill.
func TestLeaderKilledDuringFanOutEveryoneAlerted(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: waits seconds for redelivery and reconciliation (run without -short)")
	}
	const people = 60
	n, _ := startNATSOn(t, t.TempDir())
	t.Cleanup(n.stop)
	fake := startSMSFake(t)
	fake.SetLatency(300 * time.Millisecond) // sends are under way at the kill
	a := startInstance(t, n, "a", fake.sender(t, 20, 4))
	b := startInstance(t, n, "b", fake.sender(t, 20, 4))
	waitFor(t, "one leader", func() bool { return a.e.Leader() != b.e.Leader() })
	leader, survivor := a, b
	if b.e.Leader() {
		leader, survivor = b, a
	}
	waitFor(t, "the survivor's projection", survivor.e.Ready)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := survivor.e.Submit(ctx, smsIncident("K1", people, false), ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the fan-out under way", func() bool { return len(fake.accepted()) >= 10 })
	underWay := fake.Stats().InFlight
	leader.kill()
	killed := time.Now()
	waitFor(t, "the survivor leads", survivor.e.Leader)
	t.Logf("take-over %v", time.Since(killed).Round(time.Millisecond))

	alerted := func() map[string]int {
		got := map[string]int{}
		for _, m := range fake.accepted() {
			if p, ok := strings.CutPrefix(m.Body, "alert K1 "); ok {
				got[p]++
			}
		}
		return got
	}
	deadline := time.Now().Add(60 * time.Second)
	for len(alerted()) < people || !settled(survivor.e, "K1") {
		if time.Now().After(deadline) {
			t.Fatalf("after the kill: %d of %d people alerted, counts %+v", len(alerted()), people, view(t, survivor.e, "K1").Counts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	dups := 0
	for i := range people {
		if c := alerted()[fmt.Sprintf("p%d", i)]; c > 1 {
			dups += c - 1
		}
	}
	if int64(dups) > underWay+4 {
		t.Errorf("%d duplicate alerts, more than the sends under way at the kill (%d, and one per slot)", dups, underWay)
	}
	c := view(t, survivor.e, "K1").Counts
	if c.Unknown != 0 {
		t.Errorf("%d attempts left unknown after reconciliation", c.Unknown)
	}
	next, _ := fake.firstAfter(killed)
	t.Logf("people %d, alerted %d, duplicates %d, counts %+v; first SMS after the kill %v", people, len(alerted()), dups, c,
		next.Round(time.Millisecond))
}
