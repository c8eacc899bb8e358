package main

import (
	"context"
	"log/slog"
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
}
