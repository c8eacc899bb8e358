package main

import (
	"context"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"time"
)

// startingGCPercent is the collector's target while a server starts.
// Starting is the memory peak of a running Kaskade: the configuration load
// builds a parse tree as large as what it keeps, and the snapshot restore
// and log replay make garbage while the whole state is already live. With
// the default GOGC of 100 the heap may grow to twice that before a
// collection; collecting at 50 % growth keeps the peak near what is kept
// afterwards, for a little more CPU during the start only.
const startingGCPercent = 50

// collectHarderWhileStarting lowers GOGC until ready() reports true, ctx
// ends or the returned stop is called (a start that failed), then restores
// it; stop returns once it is restored. Once ready it first collects twice
// and returns the freed memory to the OS. An operator's own GOGC or
// GOMEMLIMIT wins.
func collectHarderWhileStarting(ctx context.Context, log *slog.Logger, ready func() bool) (stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(startingGCPercent)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer debug.SetGCPercent(old)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for !ready() {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
		// What the start left behind — its garbage, and block buffers
		// nats-server keeps in pools and weakly held caches after a replay,
		// which a single collection only demotes — would otherwise count as
		// live when the default target is set, and the heap could grow to
		// twice that before the next collection.
		runtime.GC()
		debug.FreeOSMemory()
		log.Debug("started: collector back to its default target", "gogc", old)
	}()
	return func() {
		cancel()
		<-done
	}
}
