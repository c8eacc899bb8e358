package engine

import (
	"context"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
)

// BenchmarkClaim compares claims by KeyValue.Create with the create-only async publish.
func BenchmarkClaim(b *testing.B) {
	for _, way := range []string{"create", "async"} {
		b.Run(way, func(b *testing.B) {
			_, js := enginetest.JetStream(b)
			ctx := context.Background()
			kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "CLAIMS", Storage: jetstream.FileStorage})
			if err != nil {
				b.Fatal(err)
			}
			c, err := newClaimer(ctx, js, kv)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			if way == "create" {
				c.prefix = ""
			}
			var n atomic.Int64
			b.SetParallelism(128) // 256 callers on 2 cores, as the dispatcher's workers
			cpu0 := processCPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.claim(ctx, "K1-n"+strconv.FormatInt(n.Add(1), 10), []byte("i")); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N)/1e3, "cpu-µs/op")
		})
	}
}

// processCPU is the user and system CPU time of this process (client and
// embedded server together).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
