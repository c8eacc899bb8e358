package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
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

// declare posts a declaration with the server's admin token.
func declare(ctx context.Context, s *server.Server, scenario, id string) (string, error) {
	body, _ := json.Marshal(map[string]any{"id": id, "scenario": scenario, "reason": "Messung", "exercise": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/api/v1/incidents", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("declare: %d %v", resp.StatusCode, err)
	}
	return out.IncidentID, nil
}

// BenchmarkCallAfterDueStep measures what a call costs Kaskade from the
// moment its escalation step is due (the lead's SMS went out, no answer,
// the call step 1 s later) until the fake Twilio receives POST …/Calls.json:
// the engine's timer, the decision stored in the log, dispatch, claim,
// compose, TwiML and the request. Reports mean, p50 and max per call.
func BenchmarkCallAfterDueStep(b *testing.B) {
	cfg := strings.Replace(voiceConfig, "steps: [{channel: voice, after: 0s}, {channel: sms, after: 5m, if: no_answer}]",
		"steps: [{channel: sms, after: 0s}, {channel: voice, after: 1s, if: no_answer}]", 1)
	arrived := make(chan time.Time, 16)
	s, _, _ := startVoiceServer(b, cfg, nil, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Calls.json") {
				arrived <- time.Now()
			}
			h.ServeHTTP(w, r)
		})
	})
	ctx := context.Background()
	lags := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		id, err := declare(ctx, s, "cyberangriff", fmt.Sprintf("bench-due-%d-%d", time.Now().UnixNano(), i))
		if err != nil {
			b.Fatal(err)
		}
		var at time.Time
		select {
		case at = <-arrived:
		case <-time.After(10 * time.Second):
			b.Fatal("no call within 10 s")
		}
		d, _ := s.Engine.Detail(id, "MI")
		lead := d.Nodes[0].Tiers[0]
		if lead.AlertedAt == nil {
			b.Fatal("the lead was not alerted")
		}
		lags = append(lags, at.Sub(lead.AlertedAt.Add(time.Second)))
	}
	b.StopTimer()
	slices.Sort(lags)
	var total time.Duration
	for _, l := range lags {
		total += l
	}
	b.ReportMetric(float64(total.Microseconds())/float64(len(lags)), "µs/call-mean")
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds()), "µs/call-p50")
	b.ReportMetric(float64(lags[len(lags)-1].Microseconds()), "µs/call-max")
}
