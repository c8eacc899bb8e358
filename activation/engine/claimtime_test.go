package engine

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// claimWrite is one write to the claims bucket, in the order of the case.
type claimWrite struct {
	key, value string
}

// The window of attempt Y (claimed at "Y") ends at the first later try of
// another attempt to the same person: a retry mark written after Y (an
// earlier attempt refused again) is no try and must not end it; a take-over
// or resend is one, whatever the decision order; stood-down claims send nothing.
func TestReconcileWindowEndsAtTheNextTry(t *testing.T) {
	kv := claimsBucket(t)
	ctx := context.Background()
	d := &dispatcher{claims: kv}
	mark := string(retryMark{since: time.Now(), tries: 1}.encode("d0"))
	now := time.Now().Add(time.Hour) // when reconciliation reads: after every write
	for i, tc := range []struct {
		name   string
		writes []claimWrite
		want   string // the write whose time ends the window; "" open, "now" the read
	}{
		{"earlier attempt marked again after Y", []claimWrite{{"X", "d0"}, {"X", mark}, {"Y", "d1"}, {"X", mark}}, "now"},
		{"earlier attempt's old claim", []claimWrite{{"X", "d0"}, {"Y", "d1"}}, ""},
		{"earlier attempt taken over after Y", []claimWrite{{"X", mark}, {"Y", "d1"}, {"X", "d2"}}, "X"},
		{"later attempt claimed after Y", []claimWrite{{"Y", "d1"}, {"Z", "d2"}}, "Z"},
		{"later attempt stood down", []claimWrite{{"Y", "d1"}, {"Z", claimCancelled + "d2"}}, ""},
		{"earlier attempt resent after Y", []claimWrite{{"X", "d0"}, {"Y", "d1"}, {"X.resend", "d2"}}, "X.resend"},
		{"mark, then a later take", []claimWrite{{"Y", "d1"}, {"X", mark}, {"Z", "d2"}}, "Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := fmt.Sprintf("c%d-", i)
			at := map[string]time.Time{}
			for _, w := range tc.writes {
				if _, err := kv.Put(ctx, prefix+w.key, []byte(w.value)); err != nil {
					t.Fatal(err)
				}
				e, err := kv.Get(ctx, prefix+w.key)
				if err != nil {
					t.Fatal(err)
				}
				at[w.key] = e.Created()
			}
			ids := []string{prefix + "X", prefix + "Y", prefix + "Z"}
			got, err := d.firstTryAfter(ctx, ids, prefix+"Y", at["Y"], now)
			if err != nil {
				t.Fatal(err)
			}
			want := at[tc.want]
			if tc.want == "now" {
				want = now
			}
			if !got.Equal(want) {
				t.Errorf("window of Y ends %v, want %v (%q)", got, want, tc.want)
			}
		})
	}
}

// nakMsg records the delays it was handed back with.
type nakMsg struct {
	countMsg
	mu     sync.Mutex
	delays []time.Duration
}

func (m *nakMsg) NakWithDelay(d time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.delays = append(m.delays, d)
	return nil
}

// A send whose retries used up its context still leaves a retry mark: the
// request is retried after the backoff, not left to reconciliation (which
// would report email and console unknown although nothing was sent).
func TestRetryMarkStoredAfterTheSendTimeout(t *testing.T) {
	kv := claimsBucket(t)
	e := New(Options{})
	d := &dispatcher{e: e, claims: kv, opts: DispatchOptions{Instance: "d1", RetryFor: time.Minute,
		RetryBackoff: 2 * time.Second, ReconcileAfter: 15 * time.Second}}
	h, err := d.take(context.Background(), "K9-n1", "d1")
	if err != nil {
		t.Fatal(err)
	}
	expired, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	m := &nakMsg{}
	if !d.retryLater(expired, m, h, "email", "K9-n1", &notifiers.TemporaryError{Code: "421"}) {
		t.Fatal("retryLater gave up within the budget")
	}
	entry, err := kv.Get(context.Background(), "K9-n1")
	if err != nil {
		t.Fatal(err)
	}
	if mk, ok := parseRetryMark(entry.Value()); !ok || mk.tries != 1 {
		t.Errorf("claim after the refused send = %q, want a retry mark of 1 try", entry.Value())
	}
	if len(m.delays) != 1 || m.delays[0] != 2*time.Second {
		t.Errorf("request handed back with delays %v, want the 2s backoff", m.delays)
	}
}

// An unknown attempt not found at the provider whose resend was refused
// (the resend claim is a retry mark) is resent when it comes back, not
// reported unknown.
func TestResendRetryMarkIsTakenOver(t *testing.T) {
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	submit(t, e, smsIncident("R1", 1, false))
	waitFor(t, "the alert requested", func() bool {
		v, _ := e.Incident("R1")
		return v.Counts.Requested == 1
	})
	kv, err := js.KeyValue(context.Background(), (Layout{}).ClaimsBucket())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := kv.Create(ctx, "R1-n1", []byte("dead")); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Create(ctx, "R1-n1.resend", retryMark{since: time.Now(), tries: 1}.encode("dead")); err != nil {
		t.Fatal(err)
	}
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": fake.sender(t, 0, 4)},
		Composer: testComposer{}, Workers: 4, Instance: "survivor", ReconcileAfter: 1, RetryFor: time.Minute})
	waitFor(t, "the alert settled", func() bool { return settled(e, "R1") })
	if got := len(fake.accepted()); got != 1 {
		t.Fatalf("fake accepted %d messages, want the resend", got)
	}
	if v := view(t, e, "R1"); v.Counts.Sent != 1 {
		t.Fatalf("counts %+v, want it sent", v.Counts)
	}
	entry, err := kv.Get(ctx, "R1-n1.resend")
	if err != nil {
		t.Fatal(err)
	}
	if _, mark := parseRetryMark(entry.Value()); mark {
		t.Errorf("resend claim still a retry mark: %q", entry.Value())
	}
}

// lateResend is an SMS channel at whose provider another dispatcher's
// resend lands right after the first lookup.
type lateResend struct {
	notifiers.Notifier
	rec  notifiers.Reconciler
	once sync.Once
}

func (l *lateResend) Lookup(ctx context.Context, m notifiers.Message, from, until time.Time) (notifiers.Receipt, bool, error) {
	r, found, err := l.rec.Lookup(ctx, m, from, until)
	l.once.Do(func() { _, _ = l.Notify(ctx, m) })
	return r, found, err
}

// A resend claim held by a try still under way is looked up again once it
// is old enough, instead of reporting the attempt unknown at once.
func TestYoungResendClaimIsLookedUpAgain(t *testing.T) {
	js := embeddedJS(t)
	e, _ := startEngine(t, js, -1)
	fake := startSMSFake(t)
	submit(t, e, smsIncident("R2", 1, false))
	waitFor(t, "the alert requested", func() bool {
		v, _ := e.Incident("R2")
		return v.Counts.Requested == 1
	})
	kv, err := js.KeyValue(context.Background(), (Layout{}).ClaimsBucket())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := kv.Create(ctx, "R2-n1", []byte("dead")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the claim is old enough to reconcile, the resend claim is not
	if _, err := kv.Create(ctx, "R2-n1.resend", []byte("other")); err != nil {
		t.Fatal(err)
	}
	sms := fake.sender(t, 0, 4)
	ch := &lateResend{Notifier: sms, rec: sms.(notifiers.Reconciler)}
	startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": ch},
		Composer: testComposer{}, Workers: 4, Instance: "survivor", ReconcileAfter: time.Second})
	waitFor(t, "the alert settled", func() bool { return settled(e, "R2") })
	if got := len(fake.accepted()); got != 1 {
		t.Fatalf("fake accepted %d messages, want the other dispatcher's resend only", got)
	}
	if v := view(t, e, "R2"); v.Counts.Sent != 1 {
		t.Fatalf("counts %+v, want the resend found and recorded sent", v.Counts)
	}
}

// A resend cut short by a crash before its call (its claim old, nothing at
// the provider) is sent under the next resend claim, not reported unknown;
// once every resend claim is used up, it is.
func TestResendCutShortIsSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name      string
		resends   int // resend claims left by dead dispatchers
		wantSent  int
		wantState notifiers.State
	}{
		{"one resend died", 1, 1, notifiers.StateSent},
		{"every resend died", maxResends, 0, notifiers.StateUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := embeddedJS(t)
			e, _ := startEngine(t, js, -1)
			fake := startSMSFake(t)
			submit(t, e, smsIncident("R3", 1, false))
			waitFor(t, "the alert requested", func() bool {
				v, _ := e.Incident("R3")
				return v.Counts.Requested == 1
			})
			kv, err := js.KeyValue(context.Background(), (Layout{}).ClaimsBucket())
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, key := range []string{"R3-n1", resendKey("R3-n1", 1), resendKey("R3-n1", 2), resendKey("R3-n1", 3)}[:1+tc.resends] {
				if _, err := kv.Create(ctx, key, []byte("dead")); err != nil {
					t.Fatal(err)
				}
			}
			startDispatchWith(t, e, DispatchOptions{Notifiers: map[string]notifiers.Notifier{"sms": fake.sender(t, 0, 4)},
				Composer: testComposer{}, Workers: 4, Instance: "survivor", ReconcileAfter: 1})
			waitFor(t, "the alert settled", func() bool { return settled(e, "R3") })
			if got := len(fake.accepted()); got != tc.wantSent {
				t.Fatalf("fake accepted %d messages, want %d", got, tc.wantSent)
			}
			var st notifiers.State
			e.View(func(c *activation.Core) { _, st, _ = c.NotificationInfo("R3", "R3-n1") })
			if st != tc.wantState {
				t.Fatalf("state %s, want %s", st, tc.wantState)
			}
		})
	}
}
