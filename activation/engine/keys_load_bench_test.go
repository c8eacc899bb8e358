//go:build unix

package engine

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkKeysLoad reads a bucket of 100,000 person keys into the cache,
// as every start does (figures in docs/BENCHMARKS.md).
func BenchmarkKeysLoad(b *testing.B) {
	js := embeddedJSB(b)
	ctx := context.Background()
	writer := newKeyring(Layout{}, js)
	const people = 100_000
	for start := 0; start < people; start += 10_000 {
		pending := makeNewKeys()
		for i := start; i < start+10_000; i++ {
			if _, err := writer.personRef(fmt.Sprintf("p%06d", i), pending); err != nil {
				b.Fatal(err)
			}
		}
		if err := writer.create(ctx, pending); err != nil {
			b.Fatal(err)
		}
	}
	reader := newKeyring(Layout{}, js)
	cpu := processCPU(b)
	b.ResetTimer()
	for b.Loop() {
		reader.forget()
		if err := reader.load(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if reader.ref("p099999") == "" {
		b.Fatal("last person's key not loaded")
	}
	// The process' CPU (client and embedded server): wall time moves with
	// other load on a shared machine, this hardly.
	b.ReportMetric(float64(processCPU(b)-cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
