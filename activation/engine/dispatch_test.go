package engine

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// numbers maps people p<i> to numbers and back.
func number(person string) string {
	var i int
	_, _ = fmt.Sscanf(person, "p%d", &i)
	return fmt.Sprintf("+4915100%05d", i)
}

// testComposer renders "<purpose> <incident> <person>".
type testComposer struct{}

func (testComposer) Compose(n activation.Notification, decl activation.Declared) (notifiers.Message, error) {
	return notifiers.Message{ID: n.ID, Incident: decl.ID, Person: n.Person, Channel: n.Channel, Purpose: n.Purpose,
		Exercise: decl.Exercise, To: number(n.Person), Text: fmt.Sprintf("%s %s %s", n.Purpose, decl.ID, n.Person)}, nil
}

// smsFake is a fake Twilio on loopback that records when each message arrived.
type smsFake struct {
	*twiliotest.Server
	url string
	mu  sync.Mutex
	got []twiliotest.Message
	at  []time.Time // when each arrived
}

func startSMSFake(t *testing.T) *smsFake {
	t.Helper()
	f := &smsFake{}
	f.Server = twiliotest.NewServer(twiliotest.Options{OnMessage: func(m twiliotest.Message) {
		f.mu.Lock()
		f.got = append(f.got, m)
		f.at = append(f.at, time.Now())
		f.mu.Unlock()
	}})
	hs := httptest.NewServer(f.Server)
	t.Cleanup(func() {
		hs.Close()
		f.Server.Close()
	})
	f.url = hs.URL
	return f
}

// firstAfter returns how long after t the first message arrived.
func (f *smsFake) firstAfter(t time.Time) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, at := range f.at {
		if at.After(t) {
			return at.Sub(t), true
		}
	}
	return 0, false
}

// accepted returns the messages accepted so far.
func (f *smsFake) accepted() []twiliotest.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]twiliotest.Message(nil), f.got...)
}

func (f *smsFake) sender(t *testing.T, rate float64, concurrency int) notifiers.Notifier {
	t.Helper()
	s, err := twilio.New(twilio.Options{AccountSID: f.AccountSID(), AuthToken: f.AuthToken(), From: "+4930123456",
		APIURL: f.url, RatePerSecond: rate, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	return notifiers.Retry(s, notifiers.RetryOptions{})
}

// startDispatch runs the dispatcher until the test ends.
func startDispatch(t *testing.T, e *Engine, sms notifiers.Notifier, workers int) {
	t.Helper()
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": sms}, Composer: testComposer{},
		Workers: workers, Instance: "test"})
}

func startDispatchWith(t *testing.T, e *Engine, opts DispatchOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = e.Dispatch(ctx, opts)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// smsIncident declares an incident of n people alerted by SMS.
func smsIncident(id string, n int, exercise bool) activation.Input {
	in := declareInput(id, n)
	in.Declare.Exercise = exercise
	for i := range in.Plans[0].Nodes {
		in.Plans[0].Nodes[i].Steps = []activation.Step{{Channel: "sms"}}
	}
	return in
}

// waitFor polls cond until it holds or 20 s have passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// settled reports whether every notification of an incident has an outcome.
func settled(e *Engine, id string) bool {
	v, ok := e.Incident(id)
	c := v.Counts
	return ok && c.Requested > 0 && c.Sent+c.Delivered+c.Failed+c.Unknown == c.Requested
}

// A stand-down during a rate-limited fan-out stops its queue: after it is
// answered, the fake accepts no alert beyond those already under way, and
// the stand-down goes to exactly the people an alert reached.
func TestStandDownStopsTheQueue(t *testing.T) {
	const people, concurrency = 120, 2
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	startDispatch(t, e, fake.sender(t, 40, concurrency), 64)

	submit(t, e, smsIncident("X1", people, true))
	waitFor(t, "the first alerts", func() bool { return len(fake.accepted()) >= 10 })
	submit(t, e, activation.Input{Incident: "X1", StandDown: &activation.StandDown{By: "lagedienst", Reason: "Übungsende"}})
	answered := len(fake.accepted())
	waitFor(t, "every notification settled", func() bool { return settled(e, "X1") })

	alerted, told := map[string]bool{}, map[string]bool{}
	late := 0
	for i, m := range fake.accepted() {
		purpose, _, _ := strings.Cut(m.Body, " ")
		switch notifiers.Purpose(purpose) {
		case notifiers.PurposeAlert:
			alerted[m.To] = true
			if i >= answered {
				late++
			}
		case notifiers.PurposeStandDown:
			if told[m.To] {
				t.Errorf("stand-down twice to %s", m.To)
			}
			told[m.To] = true
		}
	}
	if late > concurrency {
		t.Errorf("%d alerts accepted after the stand-down was answered, want at most the %d under way", late, concurrency)
	}
	if len(alerted) >= people {
		t.Errorf("all %d people alerted: the queue was not stopped", people)
	}
	for to := range alerted {
		if !told[to] {
			t.Errorf("%s alerted but not stood down", to)
		}
	}
	for to := range told {
		if !alerted[to] {
			t.Errorf("%s stood down but never alerted", to)
		}
	}
	v := view(t, e, "X1")
	if want := people - len(alerted); v.Counts.Failed != want {
		t.Errorf("failed (stopped) = %d, want %d", v.Counts.Failed, want)
	}
	t.Logf("alerts %d, stand-downs %d, alerts after the stand-down %d", len(alerted), len(told), late)
}
