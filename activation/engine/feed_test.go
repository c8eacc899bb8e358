package engine_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// The observer feed counts each kind of answer once: "delayed" are the
// people coming later, not everyone coming (Coming = Available + Delayed).
func TestTheReadinessFeedCountsEachAnswerOnce(t *testing.T) {
	at := time.Date(2026, 12, 3, 3, 14, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                            string
		r                               activation.OrgReadiness
		available, delayed, unavailable int
	}{
		{"one available", activation.OrgReadiness{Coming: 1, Available: 1}, 1, 0, 0},
		{"one delayed", activation.OrgReadiness{Coming: 1, Delayed: 1}, 0, 1, 0},
		{"mixed", activation.OrgReadiness{Coming: 5, Available: 3, Delayed: 2, Unavailable: 4}, 3, 2, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.Incident, tc.r.Org, tc.r.ChangedAt = "K1", "MI", at
			f := engine.NewReadinessFeed(tc.r, false)
			if f.Available != tc.available || f.Delayed != tc.delayed || f.Unavailable != tc.unavailable {
				t.Fatalf("feed available %d, delayed %d, unavailable %d; want %d, %d, %d",
					f.Available, f.Delayed, f.Unavailable, tc.available, tc.delayed, tc.unavailable)
			}
			data, err := json.Marshal(f)
			if err != nil {
				t.Fatal(err)
			}
			var back map[string]any
			if err := json.Unmarshal(data, &back); err != nil || back["delayed"] != float64(tc.delayed) {
				t.Fatalf("encoded %s: %v", data, err)
			}
		})
	}
}
