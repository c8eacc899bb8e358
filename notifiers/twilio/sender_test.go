package twilio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

func msg(id, to, text string) notifiers.Message {
	return notifiers.Message{ID: id, Incident: "inc-1", Channel: "sms", Purpose: notifiers.PurposeAlert, To: to, Text: text}
}

func TestSenderSuccess(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, func(o *twilio.Options) {
		o.StatusCallbackURL = "https://kaskade.example.de/webhooks/twilio/status"
	})
	r, err := s.Notify(context.Background(), msg("n/1 ä", "+4915112345234", "„ÜBUNG“ – Stab MI… 5 €"))
	if err != nil {
		t.Fatal(err)
	}
	if r.State != notifiers.StateSent || !strings.HasPrefix(r.ProviderID, "SM") || len(r.ProviderID) != 34 {
		t.Fatalf("receipt = %+v, want sent with SM SID", r)
	}
	got := f.Messages()
	if len(got) != 1 {
		t.Fatalf("fake has %d messages, want 1", len(got))
	}
	m := got[0]
	want := twiliotest.Message{
		SID: r.ProviderID, To: "+4915112345234", From: testFrom,
		Body:           `"ÜBUNG" - Stab MI... 5 €`,
		StatusCallback: "https://kaskade.example.de/webhooks/twilio/status?n=n%2F1+%C3%A4",
		ValidityPeriod: 900,
		NumSegments:    1,
	}
	if m.SID != want.SID || m.To != want.To || m.From != want.From || m.Body != want.Body ||
		m.StatusCallback != want.StatusCallback || m.ValidityPeriod != want.ValidityPeriod || m.NumSegments != 1 {
		t.Fatalf("fake recorded %+v, want %+v", m, want)
	}
}

func TestSenderMessagingServiceAndUnicode(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, func(o *twilio.Options) {
		o.MessagingServiceSID = "MG00000000000000000000000000000000"
		o.Unicode = true
	})
	if _, err := s.Notify(context.Background(), msg("n1", "+4915112345234", "Alarm 🚨")); err != nil {
		t.Fatal(err)
	}
	m := f.Messages()[0]
	if m.MessagingServiceSID != "MG00000000000000000000000000000000" || m.From != "" || m.Body != "Alarm 🚨" {
		t.Fatalf("got %+v", m)
	}
}

func TestSenderPermanentFailures(t *testing.T) {
	f, url := fake(t, twiliotest.Options{Failures: map[string]twiliotest.Failure{
		"+4915100000006": {Status: 400, Code: 30006, Message: "Landline or unreachable carrier"},
		"+4915100000403": {Status: 403, Code: 20403},
	}})
	s := sender(t, f, url, nil)
	tests := []struct {
		to, code string
	}{
		{"+15005550001", "21211"},
		{"+15005550002", "21612"},
		{"+15005550003", "21408"},
		{"+15005550004", "21610"},
		{"+15005550009", "21614"},
		{"+4915100000006", "30006"},
		{"+4915100000403", "20403"},
		{"0151 not e164", "21211"},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			r, err := s.Notify(context.Background(), msg("n", tt.to, "x"))
			if err != nil {
				t.Fatalf("err = %v, want failed receipt", err)
			}
			if r.State != notifiers.StateFailed || r.Code != tt.code {
				t.Fatalf("receipt = %+v, want failed %s", r, tt.code)
			}
			if strings.Contains(r.Detail, tt.to) && tt.to[0] == '+' {
				t.Fatalf("detail %q leaks the number", r.Detail)
			}
		})
	}
	if len(f.Messages()) != 0 {
		t.Fatal("fake accepted a message it should have rejected")
	}
}

func TestSenderBadCredentialsFail(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, func(o *twilio.Options) { o.AuthToken = "wrongtoken" })
	r, err := s.Notify(context.Background(), msg("n", "+4915112345234", "x"))
	if err != nil || r.State != notifiers.StateFailed || r.Code != "20003" {
		t.Fatalf("got %+v, %v; want failed 20003", r, err)
	}
}

func TestSenderTemporaryErrors(t *testing.T) {
	tests := []struct {
		name       string
		inject     func(*twiliotest.Server)
		code       string
		retryAfter time.Duration
	}{
		{"429 20429", func(f *twiliotest.Server) { f.ThrottleNext(1, 2*time.Second) }, "20429", 2 * time.Second},
		{"503", func(f *twiliotest.Server) { f.ServerErrorNext(1, 503) }, "20500", 0},
		{"429 without twilio code", func(f *twiliotest.Server) {
			f.FailNext(1, twiliotest.Failure{Status: 429}, time.Second)
		}, "http_429", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, url := fake(t, twiliotest.Options{})
			s := sender(t, f, url, nil)
			tt.inject(f)
			r, err := s.Notify(context.Background(), msg("n", "+4915112345234", "x"))
			var te *notifiers.TemporaryError
			if !errors.As(err, &te) {
				t.Fatalf("got %+v, %v; want TemporaryError", r, err)
			}
			if te.Code != tt.code || te.RetryAfter != tt.retryAfter {
				t.Fatalf("TemporaryError{Code: %q, RetryAfter: %v}, want %q, %v", te.Code, te.RetryAfter, tt.code, tt.retryAfter)
			}
			if len(f.Messages()) != 0 {
				t.Fatal("message recorded despite failure")
			}
		})
	}
}

func TestSenderRetryEventuallySent(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	f.ThrottleNext(2, 3*time.Second)
	var slept []time.Duration
	n := notifiers.Retry(sender(t, f, url, nil), notifiers.RetryOptions{
		Sleep: func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil },
	})
	r, err := n.Notify(context.Background(), msg("n", "+4915112345234", "x"))
	if err != nil || r.State != notifiers.StateSent {
		t.Fatalf("got %+v, %v; want sent", r, err)
	}
	if len(slept) != 2 || slept[0] < 3*time.Second || slept[1] < 3*time.Second {
		t.Fatalf("slept %v, want two waits honouring Retry-After 3s", slept)
	}
	if st := f.Stats(); st.Accepted != 1 || st.Rejected[20429] != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// handlerServer serves h on loopback.
func handlerServer(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

func TestSenderTransportOutcomes(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	tests := []struct {
		name    string
		handler http.HandlerFunc
		timeout time.Duration
		state   notifiers.State // "" means a TemporaryError
		code    string
	}{
		// A gateway lost Twilio's answer: the message may exist, never resend.
		{"html 502", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html>bad gateway</html>"))
		}, 0, notifiers.StateUnknown, "http_502"},
		// Twilio failing inside may follow a created message: looked up, never resent blindly.
		{"json 500", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`{"code":20500,"message":"Internal Server Error","status":500}`))
		}, 0, notifiers.StateUnknown, "20500"},
		// Twilio refusing the request is safe to retry.
		{"html 503", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("<html>unavailable</html>"))
		}, 0, "", "http_503"},
		{"html 404", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "<html>not found</html>", http.StatusNotFound)
		}, 0, notifiers.StateFailed, "http_404"},
		{"timeout after send", func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body) // so the server notices the client leaving
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, 100 * time.Millisecond, notifiers.StateUnknown, ""},
		{"connection lost after send", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, 0, notifiers.StateUnknown, ""},
		{"garbled 201", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte("{not json"))
		}, 0, notifiers.StateUnknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := handlerServer(t, tt.handler)
			s, err := twilio.New(twilio.Options{
				AccountSID: twiliotest.DefaultAccountSID, AuthToken: twiliotest.DefaultAuthToken,
				From: testFrom, APIURL: url, Timeout: tt.timeout,
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Notify(context.Background(), msg("n", "+4915112345234", "x"))
			if tt.state == "" {
				var te *notifiers.TemporaryError
				if !errors.As(err, &te) || te.Code != tt.code {
					t.Fatalf("got %+v, %v; want TemporaryError %s", r, err, tt.code)
				}
				return
			}
			if err != nil || r.State != tt.state || r.Code != tt.code {
				t.Fatalf("got %+v, %v; want %s %q", r, err, tt.state, tt.code)
			}
		})
	}
}

// A refused connection is temporary, and the error and its log line name
// the configured API host — not twilio-go's fixed https://api.twilio.com
// URL, nor the account in its path.
func TestSenderConnectionRefusedIsTemporary(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var logged bytes.Buffer
	s, err := twilio.New(twilio.Options{
		AccountSID: twiliotest.DefaultAccountSID, AuthToken: twiliotest.DefaultAuthToken,
		From: testFrom, APIURL: "http://" + addr, Logger: slog.New(slog.NewTextHandler(&logged, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Notify(context.Background(), msg("n", "+4915112345234", "x"))
	var te *notifiers.TemporaryError
	if !errors.As(err, &te) || te.Code != "connect" {
		t.Fatalf("got %+v, %v; want TemporaryError connect", r, err)
	}
	for what, text := range map[string]string{"error": err.Error(), "log": logged.String()} {
		if !strings.Contains(text, addr) {
			t.Errorf("%s does not name the configured host %s: %s", what, addr, text)
		}
		for _, bad := range []string{"api.twilio.com", twiliotest.DefaultAccountSID, twiliotest.DefaultAuthToken} {
			if strings.Contains(text, bad) {
				t.Errorf("%s quotes %s: %s", what, bad, text)
			}
		}
	}
}

func TestSenderCancelledBeforeSending(t *testing.T) {
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := s.Notify(ctx, msg("n", "+4915112345234", "x"))
	var te *notifiers.TemporaryError
	if err == nil || errors.As(err, &te) || !errors.Is(err, context.Canceled) {
		t.Fatalf("got %+v, %v; want a context.Canceled error", r, err)
	}
	if len(f.Messages()) != 0 {
		t.Fatal("a cancelled send reached the fake")
	}
}

func TestSenderBoundsConcurrency(t *testing.T) {
	const limit, total = 4, 60
	f, url := fake(t, twiliotest.Options{Latency: 5 * time.Millisecond, ConcurrencyLimit: limit})
	s := sender(t, f, url, func(o *twilio.Options) {
		o.Concurrency = limit
		o.RatePerSecond = 5000
	})
	var wg sync.WaitGroup
	errs := make(chan error, total)
	for i := range total {
		wg.Go(func() {
			r, err := s.Notify(context.Background(), msg("n", "+49151123452"+string(rune('0'+i%10))+"0", "x"))
			if err == nil && r.State != notifiers.StateSent {
				err = errors.New("not sent: " + r.Detail)
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := f.Stats()
	if st.MaxConcurrent > limit {
		t.Errorf("fake saw %d requests in flight, limit %d", st.MaxConcurrent, limit)
	}
	if st.Accepted != total || st.Rejected[20429] != 0 {
		t.Errorf("stats %+v, want %d accepted and no 20429", st, total)
	}
}

func TestFakeConcurrencyLimitAnswers429(t *testing.T) {
	hold := make(chan struct{})
	entered := make(chan struct{}, 1)
	f, url := fake(t, twiliotest.Options{ConcurrencyLimit: 1, OnMessage: func(twiliotest.Message) {
		entered <- struct{}{}
		<-hold
	}})
	s := sender(t, f, url, nil)
	done := make(chan error, 1)
	go func() {
		_, err := s.Notify(context.Background(), msg("n1", "+4915112345234", "x"))
		done <- err
	}()
	<-entered
	_, err := s.Notify(context.Background(), msg("n2", "+4915112345235", "x"))
	close(hold)
	var te *notifiers.TemporaryError
	if !errors.As(err, &te) || te.Code != "20429" || te.RetryAfter != time.Second {
		t.Fatalf("err = %v, want TemporaryError 20429 with Retry-After 1s", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if st := f.Stats(); st.MaxConcurrent != 2 || st.Rejected[20429] != 1 || st.Accepted != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSenderMetricsAndLogs(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs logBuffer
	f, url := fake(t, twiliotest.Options{})
	s := sender(t, f, url, func(o *twilio.Options) {
		o.Metrics = twilio.NewMetrics(reg)
		o.Logger = debugLogger(&logs)
	})
	ctx := context.Background()
	s.Notify(ctx, msg("n1", "+4915112345234", "x"))
	s.Notify(ctx, msg("n2", "+15005550001", "x"))
	f.ThrottleNext(1, 0)
	s.Notify(ctx, msg("n3", "+4915112345234", "x"))

	m := twilio.NewMetrics(reg) // second registration reuses the collectors
	_ = m
	want := `
# HELP kaskade_twilio_requests_total Twilio Create Message requests by outcome and Twilio error code (known codes only; others are "other").
# TYPE kaskade_twilio_requests_total counter
kaskade_twilio_requests_total{code="",outcome="sent"} 1
kaskade_twilio_requests_total{code="20429",outcome="temporary"} 1
kaskade_twilio_requests_total{code="21211",outcome="failed"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "kaskade_twilio_requests_total"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(reg, "kaskade_twilio_request_duration_seconds"); n != 3 {
		t.Errorf("duration series = %d, want 3 (one per outcome)", n)
	}
	out := logs.String()
	for _, secret := range []string{"+4915112345234", "+15005550001", f.AuthToken()} {
		if strings.Contains(out, secret) {
			t.Errorf("log leaks %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "+49151*****234") {
		t.Errorf("log lacks the masked number:\n%s", out)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	base := twilio.Options{AccountSID: twiliotest.DefaultAccountSID, AuthToken: "tok", From: testFrom}
	tests := []struct {
		name string
		mod  func(*twilio.Options)
	}{
		{"token with symbols", func(o *twilio.Options) { o.AuthToken = "a-b" }},
		{"empty sid", func(o *twilio.Options) { o.AccountSID = "" }},
		{"no sender", func(o *twilio.Options) { o.From = "" }},
		{"bad api url", func(o *twilio.Options) { o.APIURL = "ftp://x" }},
		{"callback with query", func(o *twilio.Options) { o.StatusCallbackURL = "https://x/y?a=1" }},
		{"validity too long", func(o *twilio.Options) { o.ValidityPeriod = 11 * time.Hour }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			tt.mod(&o)
			if _, err := twilio.New(o); err == nil {
				t.Fatal("New accepted bad options")
			}
		})
	}
	if _, err := twilio.New(base); err != nil {
		t.Fatalf("New(valid) = %v", err)
	}
}

// With an HTTPClient of its own (whose Timeout gives every request a
// context), the caller's context must still reach the request: cancelling
// it ends a call the server never answers.
func TestSenderOwnHTTPClientHonoursCallerContext(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	url := handlerServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	s, err := twilio.New(twilio.Options{
		AccountSID: twiliotest.DefaultAccountSID, AuthToken: twiliotest.DefaultAuthToken,
		From: testFrom, APIURL: url, Timeout: time.Hour,
		HTTPClient: &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(), Timeout: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	r, err := s.Notify(ctx, msg("n", "+4915112345234", "x"))
	if err != nil || r.State != notifiers.StateUnknown {
		t.Fatalf("got %+v, %v; want unknown (sent, then abandoned)", r, err)
	}
}
