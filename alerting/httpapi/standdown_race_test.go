package httpapi_test

import (
	"net/http"
	"sync"
	"testing"
)

// Concurrent closing actions on one incident: exactly one succeeds, every
// other gets 409 (before, several answered 200 while the engine rejected
// all but the first, so their reasons were silently dropped).
func TestConcurrentClosingActionsGetOneSuccess(t *testing.T) {
	s := startAPI(t)
	for _, tc := range []struct{ action, body, code string }{
		{"stand-down", `{"reason":"Lage beendet"}`, "stood_down"},
		{"abort", `{"reason":"Übung abgebrochen"}`, "stood_down"},
		{"convert", `{"reason":"Angriff bestätigt"}`, "not_an_exercise"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
			const n = 8
			results := make([]response, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					results[i] = s.do("POST", "/api/v1/incidents/"+id+"/"+tc.action, dutyToken, tc.body)
				})
			}
			wg.Wait()
			ok := 0
			for _, r := range results {
				if r.Status == http.StatusOK {
					ok++
					continue
				}
				wantError(t, r, http.StatusConflict, tc.code)
			}
			if ok != 1 {
				t.Fatalf("%d of %d concurrent %s requests answered 200, want exactly 1", ok, n, tc.action)
			}
		})
	}
}
