package main

import (
	"strings"
	"testing"
	"time"
)

// TestTallyAccepted: the fake's messages around a kill give the next SMS,
// the longest pause, who was alerted before it and by whom, duplicates
// and the people never alerted; stand-downs count as SMS, not as alerts.
func TestTallyAccepted(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	killed := at(1000)
	people := []string{"+1", "+2", "+3", "+4"}
	for _, tc := range []struct {
		name string
		msgs []acceptedSMS
		want failoverRun
	}{
		{"everyone, one stall, out of order", []acceptedSMS{
			{at: at(1500), to: "+3", alert: true, by: "b"},
			{at: at(100), to: "+1", alert: true, by: "a"},
			{at: at(900), to: "+2", alert: true, by: "b"},
			{at: at(8000), to: "+4", alert: true, by: "b"},
		}, failoverRun{before: 2, bySurvivor: 1, quiet: 100 * time.Millisecond, nextSMS: 500 * time.Millisecond,
			maxGap: 6500 * time.Millisecond, allAlerted: 7 * time.Second}},
		{"a duplicate and a stand-down; one person never alerted", []acceptedSMS{
			{at: at(200), to: "+1", alert: true, by: "a"},
			{at: at(300), to: "+2", alert: true, by: "a"},
			{at: at(1200), to: "+9", alert: false, by: "b"},
			{at: at(3000), to: "+1", alert: true, by: "b"},
			{at: at(4000), to: "+3", alert: true, by: "b"},
		}, failoverRun{before: 2, quiet: -1, nextSMS: 200 * time.Millisecond, maxGap: 3 * time.Second,
			allAlerted: -1, missing: 1, duplicates: 1}},
		{"everyone before the kill, nothing after", []acceptedSMS{
			{at: at(100), to: "+1", alert: true, by: "b"}, {at: at(200), to: "+2", alert: true, by: "a"},
			{at: at(300), to: "+3", alert: true, by: "a"}, {at: at(400), to: "+4", alert: true, by: "a"},
		}, failoverRun{before: 4, bySurvivor: 1, quiet: 900 * time.Millisecond, nextSMS: -1}},
		{"nothing at all", nil, failoverRun{quiet: -1, nextSMS: -1, allAlerted: -1, missing: 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got failoverRun
			tallyAccepted(&got, tc.msgs, killed, people, "b")
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestTallyLeadership: only entries between the kill and the bench's stop
// count; a flap makes "leads for good" later than "leads".
func TestTallyLeadership(t *testing.T) {
	killed := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	stopped := killed.Add(time.Minute)
	line := func(sec float64, msg string) string {
		return `{"time":"` + killed.Add(time.Duration(sec*float64(time.Second))).Format(time.RFC3339Nano) + `","level":"INFO","msg":"` + msg + `"}` + "\n"
	}
	for _, tc := range []struct {
		name                 string
		log                  string
		lease, leads, steady time.Duration
		restarts             int
	}{
		{"takes over once", line(-5, "engine lease acquired") + line(-5, "engine leading") + "not json\n" + line(3.2, "engine lease acquired") +
			line(3.25, "engine leading") + line(61, "engine lease lost"), 3200 * time.Millisecond, 3250 * time.Millisecond, 3250 * time.Millisecond, 0},
		{"flaps", line(1.5, "engine lease acquired") + line(2, "engine leading") + line(9, "engine lease lost") + line(12, "engine leading") +
			line(17, "engine restarting from the event log") + line(28, "engine leading"), 1500 * time.Millisecond, 2 * time.Second, 28 * time.Second, 2},
		{"lease but never leading", line(1, "event log replayed") + line(2.5, "engine lease acquired"), 2500 * time.Millisecond, -1, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r failoverRun
			tallyLeadership(&r, strings.NewReader(tc.log), killed, stopped)
			if r.lease != tc.lease || r.leads != tc.leads || r.steady != tc.steady || r.restarts != tc.restarts {
				t.Errorf("lease %v, leads %v, steady %v, restarts %d; want %v, %v, %v, %d", r.lease, r.leads, r.steady, r.restarts,
					tc.lease, tc.leads, tc.steady, tc.restarts)
			}
		})
	}
}

// TestMetricValue reads one sample of a Prometheus text exposition.
func TestMetricValue(t *testing.T) {
	text := `# HELP kaskade_notifications_total Notification outcomes.
# TYPE kaskade_notifications_total counter
kaskade_notifications_total{channel="sms",state="reconciled"} 4
kaskade_notifications_total{channel="sms",state="resent"} 1e+00
kaskade_engine_leader 1
kaskade_engine_leader_other 7
`
	for _, tc := range []struct {
		name, labels string
		want         float64
	}{
		{"kaskade_notifications_total", `channel="sms",state="reconciled"`, 4},
		{"kaskade_notifications_total", `channel="sms",state="resent"`, 1},
		{"kaskade_notifications_total", `channel="sms",state="sent"`, 0},
		{"kaskade_engine_leader", "", 1},
		{"kaskade_engine", "", 0},
	} {
		if got := metricValue(text, tc.name, tc.labels); got != tc.want {
			t.Errorf("%s{%s} = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}

// TestFailoverRows: the verdicts take the worst run; the times are median
// and maximum, runs that never got there are counted.
func TestFailoverRows(t *testing.T) {
	ok := failoverRun{people: 200, nextSMS: 7 * time.Second, leads: 3 * time.Second, steady: 3 * time.Second, found: 4,
		quiet: time.Second, maxGap: 7 * time.Second, allAlerted: 11 * time.Second, settled: 15 * time.Second}
	tooMany, missed, never := ok, ok, ok
	tooMany.found, tooMany.resent, tooMany.duplicates = 9, 3, 2
	missed.missing, missed.duplicates = 1, 5
	never.nextSMS = -1
	verdicts := func(rows []failoverRow) (unknownOK, missingOK, dupOK bool) {
		for _, r := range rows {
			switch {
			case strings.Contains(r.what, "unknown attempts"):
				unknownOK = *r.ok
			case strings.Contains(r.what, "without their first alert"):
				missingOK = *r.ok
			case strings.Contains(r.what, "duplicate"):
				dupOK = *r.ok
			}
		}
		return
	}
	for _, tc := range []struct {
		name                string
		runs                []failoverRun
		unknown, miss, dups bool
		first               string
	}{
		{"all good", []failoverRun{ok, ok, ok}, true, true, true, "7.0 s / 7.0 s"},
		{"one run over the concurrency", []failoverRun{ok, tooMany}, false, true, true, "7.0 s / 7.0 s"},
		{"one person missed, duplicates beyond the unknown", []failoverRun{missed, ok}, true, false, false, "7.0 s / 7.0 s"},
		{"no SMS after one kill", []failoverRun{ok, never}, true, true, true, "7.0 s / 7.0 s (1× never)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := failoverRows("failover", tc.runs, 10)
			u, m, d := verdicts(rows)
			if u != tc.unknown || m != tc.miss || d != tc.dups {
				t.Errorf("verdicts unknown %v, missing %v, duplicates %v; want %v, %v, %v", u, m, d, tc.unknown, tc.miss, tc.dups)
			}
			if rows[0].value != tc.first {
				t.Errorf("next SMS %q, want %q", rows[0].value, tc.first)
			}
		})
	}
	if failoverRows("failover", nil, 10) != nil {
		t.Error("rows without runs")
	}
}
