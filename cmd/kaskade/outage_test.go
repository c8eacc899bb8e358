package main

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// twilioOutage answers every API request with 503 and a Twilio error body
// while down, and records to whom it refused a message.
type twilioOutage struct {
	down    atomic.Bool
	mu      sync.Mutex
	refused map[string]int
}

func (o *twilioOutage) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.down.Load() {
			h.ServeHTTP(w, r)
			return
		}
		to := r.FormValue("To")
		o.mu.Lock()
		o.refused[to]++
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":20500,"message":"Service Unavailable","status":503}`))
	})
}

func (o *twilioOutage) refusedTo(number string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.refused[number]
}

// A Twilio outage at declaration time does not collapse the call tree
// (external finding): shorter than server.provider_retry_for, the lead gets
// exactly one SMS once Twilio is back and the deputy nothing; longer, the
// lead's SMS fails only after the budget and the deputy follows.
func TestTwilioOutageAtDeclaration(t *testing.T) {
	const lead, deputy = "+4915100001001", "+4915100001002"
	tests := []struct {
		name     string
		retryFor string
		downFor  time.Duration // 0: down for the whole test
	}{
		// 9 s: longer than the quick retries in the send slot (about 1.5 s; 7.5 s before).
		{name: "shorter than the budget", retryFor: "60s", downFor: 9 * time.Second},
		{name: "longer than the budget", retryFor: "2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &twilioOutage{refused: map[string]int{}}
			o.down.Store(true)
			cfg := strings.Replace(smsConfig, "  public_url: %s\n", "  public_url: %s\n  provider_retry_for: "+tt.retryFor+"\n", 1)
			s, fake, api := startWithTwilio(t, cfg, twiliotest.Options{}, nil, o.wrap)
			e := &smsEnv{testServer: &testServer{Server: s, t: t, token: s.AdminToken()}, fake: fake, twilioAPI: api}
			start := time.Now()
			if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Test", "exercise": true}, nil); code != 201 {
				t.Fatalf("declare: %d", code)
			}
			waitFor(t, "the lead's SMS refused", func() bool { return o.refusedTo(lead) > 0 })
			if tt.downFor == 0 {
				waitFor(t, "the deputy's SMS tried", func() bool { return o.refusedTo(deputy) > 0 })
				if p := e.personState("lead1"); p.Notification != "failed" {
					t.Errorf("lead1 = %+v, want failed after the budget", p)
				}
				if took := time.Since(start); took < 2*time.Second {
					t.Errorf("deputy tried %v after the declaration, before the 2 s budget was spent", took)
				}
				return
			}
			time.Sleep(time.Until(start.Add(tt.downFor)))
			if p := e.personState("lead1"); p.Notification == "failed" || o.refusedTo(deputy) > 0 {
				t.Fatalf("during the outage: lead1 %+v, deputy tried %d times", p, o.refusedTo(deputy))
			}
			o.down.Store(false)
			waitFor(t, "the lead's SMS", func() bool { return len(e.messagesTo(lead)) > 0 })
			time.Sleep(2 * time.Second) // room for a duplicate
			if n, d := len(e.messagesTo(lead)), len(e.messagesTo(deputy)); n != 1 || d != 0 {
				t.Errorf("lead got %d SMS, deputy %d; want 1 and 0", n, d)
			}
			if p := e.personState("lead1"); p.Notification == "failed" || len(p.FailedChans) > 0 {
				t.Errorf("lead1 = %+v", p)
			}
		})
	}
}
