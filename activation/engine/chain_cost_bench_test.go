package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// The cost of the hash chain and of the store cipher per event, measured
// through the engine on an embedded nats-server with JetStream on disk
// (docs/BENCHMARKS.md, "Chain and encryption cost (issue 19)").

var costCiphers = []string{"none", "chacha", "aes"}

// BenchmarkChainAndCipher appends decisions through persist: 1,000 events
// (an activation's notification requests, one atomic batch) or 1 event
// (an answer), with the chain off (baseline) and on, per store cipher.
func BenchmarkChainAndCipher(b *testing.B) {
	for _, size := range []int{1000, 1} {
		for _, cipher := range costCiphers {
			for _, chained := range []bool{false, true} {
				b.Run(fmt.Sprintf("events=%d/cipher=%s/chain=%v", size, cipher, chained), func(b *testing.B) {
					unchainedForBenchmark = !chained
					defer func() { unchainedForBenchmark = false }()
					e := New(Options{JS: cipherJS(b, cipher)})
					evs := notificationEvents(size)
					cpu := processCPU(b)
					b.ResetTimer()
					for range b.N {
						if err := e.persist(context.Background(), evs); err != nil {
							b.Fatal(err)
						}
					}
					perEvent(b, size, cpu)
				})
			}
		}
	}
}

// BenchmarkInputToEvent is the whole path of one answer-like input: publish
// to the input stream, the leading engine decides and appends one event
// (an inbound message outside incidents) and removes the input; 16
// submitters at once, per store cipher, chain off and on.
func BenchmarkInputToEvent(b *testing.B) {
	for _, cipher := range costCiphers {
		for _, chained := range []bool{false, true} {
			b.Run(fmt.Sprintf("cipher=%s/chain=%v", cipher, chained), func(b *testing.B) {
				unchainedForBenchmark = !chained
				defer func() { unchainedForBenchmark = false }()
				e := runCostEngine(b, cipherJS(b, cipher))
				in := activation.Input{Incident: "_", Inbound: &activation.Inbound{Channel: "sms", From: "+49151*****234",
					Outcome: "unknown_sender", Len: 42, Hash: "sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}}
				var mu sync.Mutex
				var last uint64
				b.SetParallelism(8)
				cpu := processCPU(b)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					var mine uint64
					for pb.Next() {
						seq, err := e.Submit(context.Background(), in, "")
						if err != nil {
							b.Error(err)
							return
						}
						mine = max(mine, seq)
					}
					mu.Lock()
					last = max(last, mine)
					mu.Unlock()
				})
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				if err := e.WaitInput(ctx, last); err != nil {
					b.Fatal(err)
				}
				perEvent(b, 1, cpu)
			})
		}
	}
}

// perEvent reports wall time and the process's CPU time (client, engine
// and nats-server alike) per event since cpu0; on a shared machine the
// CPU time is the steadier figure (processCPU: claims_bench_test.go).
func perEvent(b *testing.B, size int, cpu0 time.Duration) {
	n := float64(b.N * size)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n/1000, "µs/event")
	b.ReportMetric(float64((processCPU(b)-cpu0).Nanoseconds())/n/1000, "cpu-µs/event")
}

func notificationEvents(n int) []activation.Event {
	evs := make([]activation.Event, n)
	at := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
	for i := range evs {
		evs[i] = activation.Event{V: activation.SchemaVersion, Incident: "K7", Kind: activation.KindNotification, At: at, Input: 4711,
			Notification: &activation.Notification{ID: fmt.Sprintf("K7-n%d", i), Person: fmt.Sprintf("mi-person-%05d", i), Channel: "sms",
				Purpose: "alert", Org: "MI", Function: "lead"}}
	}
	return evs
}

// cipherJS starts a nats-server with JetStream on disk, its store
// encrypted with cipher (as natsd does) or not ("none"), and the layout.
func cipherJS(b *testing.B, cipher string) jetstream.JetStream {
	b.Helper()
	o := &server.Options{JetStream: true, StoreDir: b.TempDir(), DontListen: true, NoSigs: true, NoLog: true}
	switch cipher {
	case "chacha":
		o.JetStreamCipher, o.JetStreamKey = server.ChaCha, "benchmark-store-key-0123456789"
	case "aes":
		o.JetStreamCipher, o.JetStreamKey = server.AES, "benchmark-store-key-0123456789"
	}
	s, err := server.NewServer(o)
	if err != nil {
		b.Fatal(err)
	}
	s.Start()
	b.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		b.Fatal("nats-server not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(s))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	if err := (Layout{}).Ensure(context.Background(), js); err != nil {
		b.Fatal(err)
	}
	return js
}

// runCostEngine runs an engine until b ends and waits until it leads.
func runCostEngine(b *testing.B, js jetstream.JetStream) *Engine {
	b.Helper()
	e := New(Options{JS: js, SnapshotEvery: -1, SnapshotIdle: 1 << 30}) // snapshots are not what is measured
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = e.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	for !e.Leader() || !e.Ready() {
		time.Sleep(5 * time.Millisecond)
	}
	return e
}
