package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

// A retry mark is taken over by exactly one of several dispatchers (the
// conditional update), keeps when the retries began, and a plain claim is
// never taken over: a retried attempt is still sent at most once.
func TestRetryMarkTakenOnce(t *testing.T) {
	kv := claimsBucket(t)
	ctx := context.Background()
	since := time.UnixMilli(1_700_000_000_000)
	if _, err := kv.Put(ctx, "K5-n1", retryMark{since: since, tries: 3}.encode("d0")); err != nil {
		t.Fatal(err)
	}
	d := &dispatcher{claims: kv}
	const racers = 8
	var won atomic.Int32
	marks := make(chan retryMark, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			// A loser sees the claim (ErrKeyExists) or a lost conditional update.
			if h, err := d.take(ctx, "K5-n1", fmt.Sprintf("d%d", i+1)); err == nil {
				won.Add(1)
				marks <- h.mark
			}
		})
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d dispatchers took the mark, want 1", won.Load())
	}
	if m := <-marks; !m.since.Equal(since) || m.tries != 3 {
		t.Errorf("taken mark = %+v, want since %v, 3 tries", m, since)
	}
	// Now a plain claim: nobody takes it over.
	if _, err := d.take(ctx, "K5-n1", "late"); !errors.Is(err, jetstream.ErrKeyExists) {
		t.Fatalf("take of a held claim: %v, want ErrKeyExists", err)
	}
	if _, ok := parseRetryMark([]byte("d1")); ok {
		t.Error("an instance name parsed as a retry mark")
	}
}
