package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkFirstCall times declaration → the provider request of the first
// step, a call (voice) against an SMS (sms) in the same run: what a call
// costs Kaskade before Twilio has it. One op is one declaration.
func BenchmarkFirstCall(b *testing.B) {
	for _, ch := range []string{"voice", "sms"} {
		b.Run(ch, func(b *testing.B) {
			cfg := strings.Replace(voiceConfig, "steps: [{channel: voice, after: 0s}, {channel: sms, after: 5m, if: no_answer}]",
				"steps: [{channel: "+ch+", after: 0s}]", 1)
			arrived := make(chan time.Time, 16)
			suffix := map[string]string{"voice": "/Calls.json", "sms": "/Messages.json"}[ch]
			s, _, _ := startVoiceServer(b, cfg, nil, func(h http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, suffix) {
						arrived <- time.Now()
					}
					h.ServeHTTP(w, r)
				})
			})
			ctx := context.Background()
			var total time.Duration
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				if _, err := declare(ctx, s, "cyberangriff", fmt.Sprintf("bench-%s-%d-%d", ch, start.UnixNano(), i)); err != nil {
					b.Fatal(err)
				}
				select {
				case t := <-arrived:
					total += t.Sub(start)
				case <-time.After(10 * time.Second):
					b.Fatal("no provider request within 10 s")
				}
			}
			b.ReportMetric(float64(total.Microseconds())/float64(b.N), "µs/first-request")
		})
	}
}
