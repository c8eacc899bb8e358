package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

func claimsBucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	js := embeddedJS(t)
	kv, err := js.CreateOrUpdateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: "CLAIMS", Storage: jetstream.FileStorage})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func TestClaimIsCreateOnly(t *testing.T) {
	kv := claimsBucket(t)
	ctx := context.Background()
	if err := claimErr(ctx, kv, "K7-n1", []byte("a")); err != nil {
		t.Fatalf("first claim: %v", err)
	}
	e, err := kv.Get(ctx, "K7-n1")
	if err != nil || string(e.Value()) != "a" {
		t.Fatalf("stored claim %v, %v", e, err)
	}
	if err := claimErr(ctx, kv, "K7-n1", []byte("b")); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("second claim: %v, want ErrKeyExists", err)
	}
	if e, _ := kv.Get(ctx, "K7-n1"); e == nil || string(e.Value()) != "a" || e.Revision() != 1 {
		t.Fatalf("claim overwritten: %v", e)
	}
	// A deleted key may be claimed again.
	if err := kv.Delete(ctx, "K7-n1"); err != nil {
		t.Fatal(err)
	}
	if err := claimErr(ctx, kv, "K7-n1", []byte("c")); err != nil {
		t.Fatalf("claim after delete: %v", err)
	}
	for _, key := range []string{"a b", "a.*", "a.>", ".a", ""} {
		if err := claimErr(ctx, kv, key, []byte("a")); err == nil {
			t.Fatalf("claim of invalid key %q succeeded", key)
		}
	}
}

func TestClaimConcurrentSingleWinner(t *testing.T) {
	kv := claimsBucket(t)
	ctx := context.Background()
	const n = 16
	errs := make(chan error, n)
	for range n {
		go func() { errs <- claimErr(ctx, kv, "K9-n1", []byte("x")) }()
	}
	won := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			won++
		case !errors.Is(err, jetstream.ErrKeyExists):
			t.Fatalf("claim: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d claims won, want exactly 1", won)
	}
}

func TestClaimCancelled(t *testing.T) {
	kv := claimsBucket(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Never a silent success without the key.
	err := claimErr(ctx, kv, "K8-n1", []byte("a"))
	_, getErr := kv.Get(context.Background(), "K8-n1")
	if err == nil && getErr != nil {
		t.Fatalf("claim reported success but the key is missing: %v", getErr)
	}
}

// countMsg counts the heartbeats (InProgress) it gets.
type countMsg struct {
	jetstream.Msg
	pings atomic.Int64
}

func (m *countMsg) InProgress() error {
	m.pings.Add(1)
	return nil
}

// TestHeartbeatsKeepHeldRequestsAlive: every tick sends one heartbeat per
// held message, none to idle workers or after release (fake time).
func TestHeartbeatsKeepHeldRequestsAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const every = time.Second
		h := startHeartbeats(every)
		defer h.close()
		held, released := &countMsg{}, &countMsg{}
		h.hold(held)
		h.hold(released)
		time.Sleep(every + every/2)
		synctest.Wait()
		h.drop(released)
		time.Sleep(2 * every) // two more ticks
		synctest.Wait()
		for _, tc := range []struct {
			name string
			m    *countMsg
			want int64
		}{{"held for three ticks", held, 3}, {"released after one tick", released, 1}} {
			if got := tc.m.pings.Load(); got != tc.want {
				t.Errorf("%s: %d heartbeats, want %d", tc.name, got, tc.want)
			}
		}
	})
}

// claimErr is claim without the revision.
func claimErr(ctx context.Context, kv jetstream.KeyValue, key string, value []byte) error {
	_, err := claim(ctx, kv, key, value)
	return err
}
