package notifiers

import (
	"context"
	"errors"
	"testing"
	"time"
)

// scripted answers each call with the next outcome.
type scripted struct {
	outcomes []func() (Receipt, error)
	calls    int
}

func (s *scripted) Notify(context.Context, Message) (Receipt, error) {
	o := s.outcomes[min(s.calls, len(s.outcomes)-1)]
	s.calls++
	return o()
}

func temporary(code string, after time.Duration) func() (Receipt, error) {
	return func() (Receipt, error) {
		return Receipt{}, &TemporaryError{Code: code, RetryAfter: after, Err: errors.New("busy")}
	}
}

func receipt(s State) func() (Receipt, error) {
	return func() (Receipt, error) { return Receipt{State: s, ProviderID: "SM1"}, nil }
}

var errPermanent = errors.New("bad request")

func permanent() (Receipt, error) { return Receipt{}, errPermanent }

func TestRetry(t *testing.T) {
	tests := []struct {
		name      string
		outcomes  []func() (Receipt, error)
		attempts  int
		wantCalls int
		wantState State
		wantCode  string
		wantErr   error
		wantTemp  string          // code of the *TemporaryError returned when the attempts are used up
		minWaits  []time.Duration // lower bounds of the waits, in order
	}{
		{name: "sent at once", outcomes: []func() (Receipt, error){receipt(StateSent)}, wantCalls: 1, wantState: StateSent},
		{name: "temporary then sent", outcomes: []func() (Receipt, error){temporary("20429", 0), temporary("20429", 0), receipt(StateSent)},
			wantCalls: 3, wantState: StateSent, minWaits: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond}},
		{name: "provider's Retry-After is honoured", outcomes: []func() (Receipt, error){temporary("20429", 7*time.Second), receipt(StateSent)},
			wantCalls: 2, wantState: StateSent, minWaits: []time.Duration{7 * time.Second}},
		// An unknown outcome is a receipt, never retried: the message may have gone out.
		{name: "unknown is not resent", outcomes: []func() (Receipt, error){receipt(StateUnknown), receipt(StateSent)}, wantCalls: 1, wantState: StateUnknown},
		{name: "failed receipt is final", outcomes: []func() (Receipt, error){receipt(StateFailed)}, wantCalls: 1, wantState: StateFailed},
		{name: "permanent error is not retried", outcomes: []func() (Receipt, error){permanent}, wantCalls: 1, wantErr: errPermanent},
		// Used up: the temporary error itself, so the dispatcher can retry later.
		{name: "attempts used up", outcomes: []func() (Receipt, error){temporary("30001", 0)}, attempts: 3, wantCalls: 3,
			wantTemp: "30001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var waits []time.Duration
			s := &scripted{outcomes: tt.outcomes}
			n := Retry(s, RetryOptions{Attempts: tt.attempts, Base: 100 * time.Millisecond, Max: time.Second,
				Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
			r, err := n.Notify(context.Background(), Message{ID: "K1-n1"})
			var te *TemporaryError
			if tt.wantTemp != "" {
				if !errors.As(err, &te) || te.Code != tt.wantTemp {
					t.Fatalf("err = %v, want a temporary error with code %s", err, tt.wantTemp)
				}
			} else if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if s.calls != tt.wantCalls || r.State != tt.wantState || r.Code != tt.wantCode {
				t.Fatalf("calls %d, receipt %+v; want %d calls, state %q, code %q", s.calls, r, tt.wantCalls, tt.wantState, tt.wantCode)
			}
			if len(waits) != tt.wantCalls-1 { // a wait between two calls, none after the last
				t.Fatalf("waited %d times for %d calls", len(waits), s.calls)
			}
			for i, lower := range tt.minWaits {
				if waits[i] < lower || waits[i] > max(lower, time.Second)+time.Second {
					t.Errorf("wait %d = %v, want ≥ %v", i, waits[i], lower)
				}
			}
		})
	}
}

func TestRetryStopsWhenTheContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &scripted{outcomes: []func() (Receipt, error){temporary("20429", 0)}}
	n := Retry(s, RetryOptions{Attempts: 10, Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}})
	// Nothing was accepted: the last temporary error, not the context's.
	var te *TemporaryError
	if _, err := n.Notify(ctx, Message{}); !errors.As(err, &te) || s.calls != 1 {
		t.Fatalf("err %v after %d calls; want the temporary error after 1", err, s.calls)
	}
}

func TestBackoffDoublesUpToMax(t *testing.T) {
	var waits []time.Duration
	s := &scripted{outcomes: []func() (Receipt, error){temporary("", 0)}}
	n := Retry(s, RetryOptions{Attempts: 8, Base: 100 * time.Millisecond, Max: 400 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }})
	var te *TemporaryError
	if _, err := n.Notify(context.Background(), Message{}); !errors.As(err, &te) {
		t.Fatalf("err = %v, want the temporary error", err)
	}
	// Jitter keeps each wait within [backoff/2, backoff]; backoff doubles to Max.
	bounds := []time.Duration{100, 200, 400, 400, 400, 400, 400}
	if len(waits) != len(bounds) {
		t.Fatalf("%d waits, want %d", len(waits), len(bounds))
	}
	for i, b := range bounds {
		hi := b * time.Millisecond
		if waits[i] < hi/2 || waits[i] > hi {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, waits[i], hi/2, hi)
		}
	}
}
