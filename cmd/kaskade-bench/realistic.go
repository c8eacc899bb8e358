package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// realistic fans out against a fake that answers after RealLatency with a
// concurrency limit, through a server whose sender uses that concurrency.
func (b *bench) realistic(ctx context.Context) error {
	c, n := b.o.RealConc, b.o.RealRecip
	var got atomic.Int64
	var first, last atomic.Int64
	var tmu sync.Mutex
	times := make([]int64, 0, n)
	done := make(chan struct{})
	fake := twiliotest.NewServer(twiliotest.Options{Latency: b.o.RealLatency, ConcurrencyLimit: c,
		Client: &http.Client{Transport: &callbackTransport{base: http.DefaultTransport, swallow: !b.o.Callbacks, n: &b.cbSwallowed}},
		OnMessage: func(m twiliotest.Message) {
			t := time.Now().UnixNano()
			first.CompareAndSwap(0, t)
			last.Store(t)
			tmu.Lock()
			times = append(times, t)
			tmu.Unlock()
			if got.Add(1) == int64(n) {
				close(done)
			}
		}})
	fapi := httptest.NewServer(fake)
	defer func() { fapi.Close(); fake.Close() }()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	dir := filepath.Join(b.o.Dir, "realistic")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	cfgPath := filepath.Join(dir, "bench.yaml")
	bc := benchConfig{Orgs: n / b.o.PerOrg, PerOrg: b.o.PerOrg, PublicURL: "http://" + ln.Addr().String(),
		AccountSID: fake.AccountSID(), APIURL: fapi.URL, Concurrency: c}
	if err := bc.write(cfgPath); err != nil {
		return err
	}
	os.Setenv(benchTokenEnv, fake.AuthToken())
	s, err := server.Start(ctx, server.Options{ConfigPath: cfgPath, DataDir: filepath.Join(dir, "data"), Listener: ln,
		NATSListen: "off", Instance: "bench-realistic", Logger: b.log})
	if err != nil {
		return err
	}
	defer s.Close()
	if err := waitUntil(ctx, 60*time.Second, func() bool { return s.Engine.Ready() && s.Engine.Leader() }); err != nil {
		return err
	}
	start := time.Now()
	if _, err := declare(ctx, s, "fanout", "bench-realistic"); err != nil {
		return err
	}
	select {
	case <-done:
	case <-time.After(time.Duration(float64(n)/(float64(c)/b.o.RealLatency.Seconds())*3*float64(time.Second)) + 30*time.Second):
		return fmt.Errorf("realistic: only %d of %d SMS arrived", got.Load(), n)
	}
	// Little's law: C requests in flight, each RealLatency long.
	bound := float64(c) / b.o.RealLatency.Seconds()
	// The first answer arrives one latency after the first request: count
	// from the first request, i.e. first answer − latency.
	span := time.Duration(last.Load()-first.Load()) + b.o.RealLatency
	rate := float64(n) / span.Seconds()
	share := rate / bound
	st := fake.Stats()
	tmu.Lock()
	slices.Sort(times)
	lo, hi := len(times)/10, len(times)*9/10
	steady := float64(hi-lo) / (float64(times[hi]-times[lo]) / 1e9)
	tmu.Unlock()
	b.record(fmt.Sprintf("fan-out %d vs provider C=%d, %s latency: rate / (C/latency)", n, c, b.o.RealLatency),
		fmt.Sprintf("%.0f/s of %.0f/s = %.3f", rate, bound, share), "≥ 0.95", ptr(share >= 0.95))
	b.record("  … steady state (10 % → 90 % of the messages)", fmt.Sprintf("%.0f/s = %.3f", steady, steady/bound), "", nil)
	b.record("  … 20429 (Too Many Requests) provoked / max concurrent", fmt.Sprintf("%d / %d", st.Rejected[20429], st.MaxConcurrent),
		"0", ptr(st.Rejected[20429] == 0))
	b.printf("  (declaration → last SMS: %s)\n", time.Since(start).Round(time.Millisecond))
	return nil
}
