package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// acceptedSMS is one message the fake accepted.
type acceptedSMS struct {
	at    time.Time
	to    string
	alert bool   // the fan-out's alert (isAlert), not a stand-down or update
	by    string // the sending instance
}

// failoverRun is what one kill showed. Durations are from the kill; -1
// means "never within the run".
type failoverRun struct {
	scenario   string
	people     int
	start      time.Duration // declaration → first SMS accepted (before the kill)
	before     int           // people alerted before the kill
	bySurvivor int           // … of them by the survivor
	quiet      time.Duration // kill − the survivor's last SMS before it (-1: none)
	nextSMS    time.Duration // kill → next SMS accepted
	maxGap     time.Duration // longest pause between accepted alerts from the kill to the last first alert
	allAlerted time.Duration // kill → the last person's first alert
	settled    time.Duration // kill → every attempt has an outcome in the survivor's view
	missing    int           // people without a first alert at the end
	duplicates int           // alerts beyond the first per person
	found      int           // unknown attempts the survivor found at the provider
	resent     int           // unknown attempts not at the provider, sent by the survivor
	leftOpen   int           // attempts still unknown in the survivor's view at the end
	lease      time.Duration // kill → the survivor's first "engine lease acquired"
	leads      time.Duration // kill → the survivor's first "engine leading"
	steady     time.Duration // kill → its last "engine leading" (= leads without a flap)
	restarts   int           // times the survivor's engine lost the lease or restarted after the kill
}

// unknown is the attempts whose outcome the kill left open.
func (r failoverRun) unknown() int { return r.found + r.resent + r.leftOpen }

// tallyAccepted fills the fake's side of a run: who got the first alert
// when, relative to the kill, from the messages the fake accepted (any
// order); survivor names the instance that was not killed.
func tallyAccepted(r *failoverRun, msgs []acceptedSMS, killed time.Time, recipients []string, survivor string) {
	msgs = slices.Clone(msgs)
	slices.SortFunc(msgs, func(a, b acceptedSMS) int { return a.at.Compare(b.at) })
	r.nextSMS, r.allAlerted, r.maxGap, r.quiet = -1, -1, 0, -1
	r.before, r.bySurvivor, r.duplicates = 0, 0, 0
	alerts := map[string]int{}
	last := killed
	for _, m := range msgs {
		if m.at.After(killed) && r.nextSMS < 0 {
			r.nextSMS = m.at.Sub(killed)
		}
		if m.by == survivor && !m.at.After(killed) {
			r.quiet = killed.Sub(m.at)
		}
		if !m.alert {
			continue
		}
		alerts[m.to]++
		if alerts[m.to] > 1 {
			r.duplicates++
			continue
		}
		if !m.at.After(killed) {
			r.before++
			if m.by == survivor {
				r.bySurvivor++
			}
			continue
		}
		r.maxGap = max(r.maxGap, m.at.Sub(last))
		last = m.at
	}
	r.missing = 0
	for _, to := range recipients {
		if alerts[to] == 0 {
			r.missing++
		}
	}
	if r.missing == 0 && last.After(killed) {
		r.allAlerted = last.Sub(killed)
	}
	if r.missing == 0 && !last.After(killed) {
		r.allAlerted = 0 // everyone had it before the kill
	}
}

// tallyLeadership reads the survivor's JSON log: when after the kill (and
// before the bench stopped it) it started leading, first and last time, and
// how often its engine lost the lease or restarted from the event log.
func tallyLeadership(r *failoverRun, log io.Reader, killed, stopped time.Time) {
	r.lease, r.leads, r.steady, r.restarts = -1, -1, -1, 0
	sc := bufio.NewScanner(log)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var rec struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &rec) != nil || rec.Time.Before(killed) || !rec.Time.Before(stopped) {
			continue
		}
		switch rec.Msg {
		case "engine lease acquired":
			if r.lease < 0 {
				r.lease = rec.Time.Sub(killed)
			}
		case "engine leading":
			if r.leads < 0 {
				r.leads = rec.Time.Sub(killed)
			}
			r.steady = rec.Time.Sub(killed)
		case "engine lease lost", "engine restarting from the event log":
			r.restarts++
		}
	}
}

// metricValue returns the value of the sample name{labels} in a Prometheus
// text exposition (labels exactly as exposed, e.g. `channel="sms",state="resent"`);
// 0 when absent.
func metricValue(text, name, labels string) float64 {
	want := name
	if labels != "" {
		want += "{" + labels + "}"
	}
	for line := range strings.Lines(text) {
		rest, ok := strings.CutPrefix(line, want+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
		if err == nil {
			return v
		}
	}
	return 0
}

// failoverRow is one table row: a figure over the runs of a scenario.
type failoverRow struct {
	what, value, target string
	ok                  *bool
}

// failoverRows summarises the runs of one scenario: median and worst of the
// times, the worst of the counts, checked against the sender concurrency.
func failoverRows(label string, runs []failoverRun, concurrency int) []failoverRow {
	if len(runs) == 0 {
		return nil
	}
	times := func(f func(failoverRun) time.Duration) string {
		var ds []time.Duration
		never := 0
		for _, r := range runs {
			if d := f(r); d < 0 {
				never++
			} else {
				ds = append(ds, d)
			}
		}
		slices.Sort(ds)
		s := "never"
		if len(ds) > 0 {
			s = fmt.Sprintf("%s / %s", secs(ds[len(ds)/2]), secs(ds[len(ds)-1]))
		}
		if never > 0 {
			s += fmt.Sprintf(" (%d× never)", never)
		}
		return s
	}
	worst := func(f func(failoverRun) int) (all string, most int) {
		var vs []string
		for _, r := range runs {
			v := f(r)
			vs = append(vs, strconv.Itoa(v))
			most = max(most, v)
		}
		return strings.Join(vs, ", "), most
	}
	unknownAll, unknownMost := worst(failoverRun.unknown)
	missingAll, missingMost := worst(func(r failoverRun) int { return r.missing })
	dupAll, _ := worst(func(r failoverRun) int { return r.duplicates })
	dupOK := true
	for _, r := range runs {
		dupOK = dupOK && r.duplicates <= r.unknown()
	}
	foundAll, _ := worst(func(r failoverRun) int { return r.found })
	resentAll, _ := worst(func(r failoverRun) int { return r.resent })
	beforeAll, _ := worst(func(r failoverRun) int { return r.before })
	bySurvAll, _ := worst(func(r failoverRun) int { return r.bySurvivor })
	restartAll, _ := worst(func(r failoverRun) int { return r.restarts })
	n := fmt.Sprintf("%d run", len(runs))
	if len(runs) > 1 {
		n += "s"
	}
	return []failoverRow{
		{fmt.Sprintf("%s (%d people, %s): kill → next SMS accepted, median / max", label, runs[0].people, n),
			times(func(r failoverRun) time.Duration { return r.nextSMS }), "measured", nil},
		{"  … declaration → first SMS, before the kill", times(func(r failoverRun) time.Duration { return r.start }), "measured", nil},
		{"  … kill → survivor's lease", times(func(r failoverRun) time.Duration { return r.lease }), "measured", nil},
		{"  … kill → survivor leads / leads for good", times(func(r failoverRun) time.Duration { return r.leads }) + " | " +
			times(func(r failoverRun) time.Duration { return r.steady }), "engine restarts: " + restartAll, nil},
		{"  … survivor's last SMS before the kill, ago", times(func(r failoverRun) time.Duration { return r.quiet }), "measured", nil},
		{"  … longest pause between first alerts after the kill", times(func(r failoverRun) time.Duration { return r.maxGap }), "measured", nil},
		{"  … kill → everyone alerted", times(func(r failoverRun) time.Duration { return r.allAlerted }), "measured", nil},
		{"  … kill → every attempt settled in the survivor's view", times(func(r failoverRun) time.Duration { return r.settled }), "measured", nil},
		{"  … people alerted before the kill (by the survivor)", beforeAll + " (" + bySurvAll + ")", "per run", nil},
		{"  … unknown attempts after the kill (found at fake + resent + left)", unknownAll + " (" + foundAll + " + " + resentAll + ")",
			fmt.Sprintf("≤ %d (concurrency)", concurrency), ptr(unknownMost <= concurrency)},
		{"  … people without their first alert once reconciled", missingAll, "0", ptr(missingMost == 0)},
		{"  … duplicate alerts", dupAll, "≤ unknown (at most once)", ptr(dupOK)},
	}
}

// secs formats a duration in seconds with one decimal.
func secs(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
