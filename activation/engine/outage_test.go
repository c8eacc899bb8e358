package engine

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// outage is a fake Twilio that answers 503 with a Twilio error body while
// down, and counts the requests it refused.
type outage struct {
	*smsFake
	down    atomic.Bool
	refused atomic.Int64
	url     string
}

func startOutage(t *testing.T, opts twiliotest.Options) *outage {
	t.Helper()
	o := &outage{smsFake: &smsFake{}}
	f := o.smsFake
	opts.OnMessage = func(m twiliotest.Message) {
		f.mu.Lock()
		f.got = append(f.got, m)
		f.at = append(f.at, time.Now())
		f.mu.Unlock()
	}
	f.Server = twiliotest.NewServer(opts)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o.down.Load() {
			o.refused.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"code":20500,"message":"Service Unavailable","status":503}`))
			return
		}
		f.Server.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		hs.Close()
		f.Server.Close()
	})
	o.url = hs.URL
	return o
}

func (o *outage) sms(t *testing.T) notifiers.Notifier {
	t.Helper()
	s, err := twilio.New(twilio.Options{AccountSID: o.AccountSID(), AuthToken: o.AuthToken(), From: "+4930123456",
		APIURL: o.url, Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return notifiers.Retry(s, notifiers.RetryOptions{Attempts: 2, Base: 20 * time.Millisecond})
}

// recorder is an email channel that records who it reached.
type recorder struct {
	mu sync.Mutex
	to []string
}

func (r *recorder) Notify(_ context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.to = append(r.to, m.Person)
	return notifiers.Receipt{State: notifiers.StateSent, ProviderID: "mail-" + m.ID}, nil
}

func (r *recorder) people() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.to...)
}

// treeIncident declares n nodes, each with primary p<i> and deputy
// p<100+i>: SMS first, email only if the SMS is not delivered, the deputy
// after an hour.
func treeIncident(id string, n int) activation.Input {
	in := declareInput(id, n)
	for i := range in.Plans[0].Nodes {
		nd := &in.Plans[0].Nodes[i]
		nd.People = []string{fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", 100+i)}
		nd.Wait = time.Hour
		nd.Steps = []activation.Step{{Channel: "sms"},
			{Channel: "email", After: time.Hour, If: "not_delivered"}}
	}
	return in
}

// A provider that refuses every send for a while (503) must not move the
// call tree on: shorter than the retry budget, every primary gets exactly
// one SMS once it is back and nobody else is alerted; longer, the SMS step
// fails only after the budget and the next channel follows. A permanent
// rejection (21211) still fails at once.
func TestProviderOutageRetriedWithinBudget(t *testing.T) {
	const nodes = 6
	tests := []struct {
		name      string
		downFor   time.Duration // -1: never comes back during the test
		retryFor  time.Duration
		permanent bool
		wantSMS   int  // primaries reached by SMS
		wantEmail bool // the next channel follows
		minFail   time.Duration
		maxFail   time.Duration
	}{
		{name: "outage shorter than the budget", downFor: 2 * time.Second, retryFor: 20 * time.Second, wantSMS: nodes},
		{name: "outage longer than the budget", downFor: -1, retryFor: 2 * time.Second, wantEmail: true,
			minFail: 2 * time.Second, maxFail: 15 * time.Second},
		{name: "permanent rejection fails at once", retryFor: time.Minute, permanent: true, wantEmail: true,
			maxFail: 5 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := twiliotest.Options{}
			if tt.permanent {
				opts.Failures = map[string]twiliotest.Failure{}
				for i := range nodes {
					opts.Failures[number(fmt.Sprintf("p%d", i))] = twiliotest.Failure{Status: 400, Code: 21211}
				}
			}
			fake := startOutage(t, opts)
			fake.down.Store(tt.downFor != 0)
			js := embeddedJS(t)
			e, _ := startEngineOpts(t, Options{JS: js, SnapshotEvery: -1, Metrics: NewMetrics(prometheus.NewRegistry())})
			email := &recorder{}
			sms := fake.sms(t)
			// Two dispatchers take the retries over from each other.
			for i := range 2 {
				startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms, "email": email},
					Composer: testComposer{}, Workers: 8, Instance: fmt.Sprintf("d%d", i),
					RetryFor: tt.retryFor, RetryBackoff: 200 * time.Millisecond})
			}
			start := time.Now()
			submit(t, e, treeIncident("O1", nodes))
			if tt.downFor > 0 {
				time.Sleep(tt.downFor)
				if fake.refused.Load() == 0 {
					t.Fatal("the fake refused nothing: no outage was tested")
				}
				if v := view(t, e, "O1"); v.Counts.Failed > 0 || len(email.people()) > 0 {
					t.Fatalf("during the outage: %d failed, email to %v; want the SMS still retried", v.Counts.Failed, email.people())
				}
				fake.down.Store(false)
			}
			if tt.wantEmail {
				waitFor(t, "the next channel", func() bool { return len(email.people()) == nodes })
				failedAfter := time.Since(start)
				if failedAfter < tt.minFail || failedAfter > tt.maxFail {
					t.Errorf("next channel after %v, want within [%v, %v]", failedAfter, tt.minFail, tt.maxFail)
				}
				if v := view(t, e, "O1"); v.Counts.Failed != nodes {
					t.Errorf("failed = %d, want the %d SMS", v.Counts.Failed, nodes)
				}
			} else {
				waitFor(t, "every primary's SMS", func() bool { return len(fake.accepted()) >= tt.wantSMS })
				time.Sleep(time.Second) // room for a duplicate
			}
			seen := map[string]int{}
			for _, m := range fake.accepted() {
				seen[m.To]++
			}
			if len(fake.accepted()) != tt.wantSMS {
				t.Errorf("%d SMS accepted, want %d", len(fake.accepted()), tt.wantSMS)
			}
			for i := range nodes {
				if n := seen[number(fmt.Sprintf("p%d", i))]; tt.wantSMS > 0 && n != 1 {
					t.Errorf("primary p%d got %d SMS, want exactly 1", i, n)
				}
				if seen[number(fmt.Sprintf("p%d", 100+i))] > 0 {
					t.Errorf("deputy p%d alerted", 100+i)
				}
			}
			retried := testutil.ToFloat64(e.opts.Metrics.retries.WithLabelValues("sms", RetryRetried))
			givenUp := testutil.ToFloat64(e.opts.Metrics.retries.WithLabelValues("sms", RetryGivenUp))
			switch {
			case tt.permanent && retried+givenUp != 0:
				t.Errorf("permanent rejections counted as retries: %v retried, %v given up", retried, givenUp)
			case !tt.permanent && retried < nodes:
				t.Errorf("retried = %v, want at least one per SMS (%d)", retried, nodes)
			case tt.wantEmail && !tt.permanent && givenUp != nodes:
				t.Errorf("given up = %v, want %d", givenUp, nodes)
			case !tt.wantEmail && givenUp != 0:
				t.Errorf("given up = %v, want 0", givenUp)
			}
			if !tt.wantEmail && len(email.people()) > 0 {
				t.Errorf("email to %v, want none (the SMS went out)", email.people())
			}
			for _, p := range email.people() {
				if !strings.HasPrefix(p, "p") || p >= "p100" && len(p) > 2 {
					t.Errorf("email to %s, want only primaries", p)
				}
			}
		})
	}
}

// A stand-down while alerts wait out a provider outage stops them: once
// the provider is back, none is sent and each is settled as stood down.
func TestStandDownStopsRetries(t *testing.T) {
	const nodes = 4
	fake := startOutage(t, twiliotest.Options{})
	fake.down.Store(true)
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	email := &recorder{}
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": fake.sms(t), "email": email},
		Composer: testComposer{}, Workers: 8, Instance: "d", RetryFor: time.Minute, RetryBackoff: 300 * time.Millisecond})
	submit(t, e, treeIncident("O2", nodes))
	waitFor(t, "refused sends", func() bool { return fake.refused.Load() >= nodes })
	submit(t, e, activation.Input{Incident: "O2", StandDown: &activation.StandDown{By: "lagedienst", Reason: "Übungsende"}})
	waitFor(t, "the stand-down applied", func() bool {
		closed := false
		e.View(func(c *activation.Core) { closed = c.Closed("O2") })
		return closed
	})
	time.Sleep(100 * time.Millisecond) // sends that looked before it end (refused)
	fake.down.Store(false)
	waitFor(t, "every notification settled", func() bool { return settled(e, "O2") })
	time.Sleep(time.Second) // room for a late send
	if got := fake.accepted(); len(got) != 0 {
		t.Errorf("%d SMS accepted after the stand-down, want none: %+v", len(got), got)
	}
	if v := view(t, e, "O2"); v.Counts.Failed != nodes {
		t.Errorf("failed (stood down) = %d, want %d", v.Counts.Failed, nodes)
	}
	if len(email.people()) > 0 {
		t.Errorf("email to %v after the stand-down", email.people())
	}
}
