package alerting

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestDeclarerRateLimited: a NATS declarer identity is bounded like an API
// token (server.declaration_rate): beyond its burst a new declaration is
// refused with rate_limited, a repeat of one already made still gets its
// incident, another declarer is not affected, and time refills the bucket.
func TestDeclarerRateLimited(t *testing.T) {
	in, _, layout := intakeOnNATS(t)
	now := time.Date(2026, 12, 3, 4, 0, 0, 0, time.UTC)
	in.limits = newDeclarerLimits(DeclarerRates{Real: Rate{Burst: 1, Every: time.Hour},
		Exercise: Rate{Burst: 2, Every: time.Minute}}, func() time.Time { return now })
	body := func(reason string, exercise bool) []byte {
		return fmt.Appendf(nil, `{"scenario":"cyberangriff","organisations":["MI"],"exercise":%t,"declared_by":"SIEM","reason":%q}`, exercise, reason)
	}
	siem, other := layout.DeclarerSubject("siem"), layout.DeclarerSubject("leitstelle")
	steps := []struct {
		subject string
		data    []byte
		limited bool
		dup     bool
	}{
		{siem, body("a", true), false, false},
		{siem, body("b", true), false, false},
		{siem, body("c", true), true, false},   // third exercise within the burst of two
		{siem, body("a", true), false, true},   // a repeat answers its incident
		{other, body("c", true), false, false}, // another identity has its own bucket
		{siem, body("r1", false), false, false},
		{siem, body("r2", false), true, false}, // real incidents are counted apart
	}
	for n, s := range steps {
		res, err := in.handleRaw(t.Context(), s.subject, s.data)
		var e *Error
		limited := errors.As(err, &e) && e.Code == CodeRateLimited
		if limited != s.limited || (err != nil && !limited) || (err == nil && res.Duplicate != s.dup) {
			t.Fatalf("step %d: result %+v, error %v; want limited %t, duplicate %t", n, res, err, s.limited, s.dup)
		}
	}
	now = now.Add(time.Minute)
	if _, err := in.handleRaw(t.Context(), siem, body("c", true)); err != nil {
		t.Fatalf("after a minute the bucket holds one more exercise: %v", err)
	}
}
