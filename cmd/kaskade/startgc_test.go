package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"testing"
)

// gcPercent reads the collector's target (SetGCPercent is the only reader).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestCollectHarderWhileStarting(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	before := gcPercent()
	defer debug.SetGCPercent(before)
	for _, tc := range []struct {
		name, gogc, memlimit string
		lowered              bool
	}{
		{name: "defaults", lowered: true},
		{name: "operator's GOGC wins", gogc: "200"},
		{name: "operator's GOMEMLIMIT wins", memlimit: "1GiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GOGC", tc.gogc)
			t.Setenv("GOMEMLIMIT", tc.memlimit)
			debug.SetGCPercent(100)
			var ready atomic.Bool
			collectHarderWhileStarting(t.Context(), log, ready.Load)
			if got, want := gcPercent(), map[bool]int{true: startingGCPercent, false: 100}[tc.lowered]; got != want {
				t.Fatalf("while starting: GOGC %d, want %d", got, want)
			}
			ready.Store(true)
			waitFor(t, "GOGC restored", func() bool { return gcPercent() == 100 })
		})
	}
	t.Run("a cancelled start restores it too", func(t *testing.T) {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		debug.SetGCPercent(100)
		ctx, cancel := context.WithCancel(t.Context())
		collectHarderWhileStarting(ctx, log, func() bool { return false })
		if gcPercent() != startingGCPercent {
			t.Fatal("not lowered")
		}
		cancel()
		waitFor(t, "GOGC restored", func() bool { return gcPercent() == 100 })
	})
	t.Run("a failed start restores it at once", func(t *testing.T) {
		t.Setenv("GOGC", "")
		t.Setenv("GOMEMLIMIT", "")
		debug.SetGCPercent(100)
		stop := collectHarderWhileStarting(t.Context(), log, func() bool { return false })
		if gcPercent() != startingGCPercent {
			t.Fatal("not lowered")
		}
		stop()
		if got := gcPercent(); got != 100 {
			t.Fatalf("after stop: GOGC %d", got)
		}
		stop() // a second stop returns at once
	})
}

func TestServeThatFailsLeavesTheCollectorAlone(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	err := serveCmd(t.Context(), []string{"--config", filepath.Join(t.TempDir(), "missing.yaml"), "--data", t.TempDir(),
		"--http", "127.0.0.1:0", "--nats-listen", "off"}, io.Discard, io.Discard)
	if err == nil {
		t.Fatal("serve with a missing configuration started")
	}
	if got := gcPercent(); got != 100 {
		t.Fatalf("serve failed (%v) but left GOGC at %d", err, got)
	}
}
