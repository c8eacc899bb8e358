package ack

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSink keeps answers in memory and counts calls.
type fakeSink struct {
	mu        sync.Mutex
	status    Status
	records   int
	currents  int
	err       error // returned by both methods when set
	recordErr error
	now       func() time.Time
}

func (f *fakeSink) Current(_ context.Context, _ Claims) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.currents++
	if f.err != nil {
		return Status{}, f.err
	}
	return f.status, nil
}

func (f *fakeSink) Record(_ context.Context, _ Claims, kind string, minutes int) (Status, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return Status{}, f.err
	}
	if f.recordErr != nil {
		return Status{}, f.recordErr
	}
	f.records++
	at := f.now()
	f.status.Answer = kind
	f.status.AnsweredAt = &at
	f.status.ETA = nil
	if kind == AnswerDelayed {
		eta := at.Add(time.Duration(minutes) * time.Minute)
		f.status.ETA = &eta
	}
	return f.status, nil
}

type env struct {
	srv    *httptest.Server
	sink   *fakeSink
	signer *Signer
	clock  *clock
	token  string
}

func newEnv(t *testing.T, st Status) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 3, 1, 3, 12, 0, 0, time.UTC)}
	s := newTestSigner(t, c, key1)
	sink := &fakeSink{status: st, now: c.now}
	mux := http.NewServeMux()
	mux.Handle("/ack/{token}", NewHandler(HandlerOptions{
		Signer: s, Sink: sink, Now: c.now, Location: time.UTC,
		Logger: slog.New(slog.DiscardHandler),
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{srv: srv, sink: sink, signer: s, clock: c, token: s.Sign(testClaims())}
}

func openStatus() Status {
	return Status{IncidentTitle: "Cyberangriff auf das Landesnetz", Exercise: true, PersonName: "Erika Müller",
		Language: "de", Open: true, Known: true}
}

func (e *env) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(e.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func (e *env) post(t *testing.T, path string, form url.Values) (int, http.Header, string) {
	t.Helper()
	resp, err := http.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp)
}

func read(t *testing.T, resp *http.Response) (int, http.Header, string) {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

func TestGetShowsPageAndRecordsNothing(t *testing.T) {
	tests := []struct {
		name  string
		st    Status
		query string
		want  []string
	}{
		{"german exercise", openStatus(), "", []string{
			`lang="de"`, "ÜBUNG", "Cyberangriff auf das Landesnetz", "Ich komme", "Ich komme später",
			"Nicht verfügbar", `method="post"`, `<option value="120"`, "Sie haben noch nicht geantwortet.",
		}},
		{"english", func() Status { s := openStatus(); s.Language = "en"; s.Exercise = false; return s }(), "", []string{
			`lang="en"`, "I am coming", "Not available",
		}},
		{"preselect", openStatus(), "?answer=delayed&minutes=45", []string{
			`class="delayed pre"`, `<option value="45" selected>`,
		}},
		{"current answer", func() Status {
			s := openStatus()
			eta := time.Date(2026, 3, 1, 3, 45, 0, 0, time.UTC)
			s.Answer, s.ETA = AnswerDelayed, &eta
			return s
		}(), "", []string{"Ihre aktuelle Rückmeldung: Ich komme später (voraussichtliche Ankunft 03:45)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.st)
			code, hdr, body := e.get(t, "/ack/"+e.token+tt.query)
			if code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(body, "<script") || strings.Contains(body, "http://") || strings.Contains(body, "https://") {
				t.Error("page references scripts or external assets")
			}
			if !tt.st.Exercise && strings.Contains(body, "ÜBUNG") {
				t.Error("exercise banner on a real incident")
			}
			if e.sink.records != 0 {
				t.Fatalf("GET recorded %d answers", e.sink.records)
			}
			checkHeaders(t, hdr)
		})
	}
}

func checkHeaders(t *testing.T, h http.Header) {
	t.Helper()
	want := map[string]string{
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
		"X-Content-Type-Options": "nosniff",
		"Content-Type":           "text/html; charset=utf-8",
	}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, h.Get(k), v)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, w := range []string{"default-src 'none'", "style-src 'nonce-", "form-action 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, w) {
			t.Errorf("CSP %q lacks %q", csp, w)
		}
	}
	if strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP too loose: %q", csp)
	}
}

func TestPostRecords(t *testing.T) {
	tests := []struct {
		name    string
		form    url.Values
		code    int
		kind    string
		records int
		want    string
	}{
		{"available", url.Values{"answer": {"available"}, "minutes": {"30"}}, 200, AnswerAvailable, 1,
			"Ihre Rückmeldung wurde gespeichert: Ich komme"},
		{"delayed", url.Values{"answer": {"delayed"}, "minutes": {"30"}}, 200, AnswerDelayed, 1,
			"Ihre Rückmeldung wurde gespeichert: Ich komme später (voraussichtliche Ankunft 03:42)"},
		{"unavailable", url.Values{"answer": {"unavailable"}}, 200, AnswerUnavailable, 1,
			"Ihre Rückmeldung wurde gespeichert: Nicht verfügbar"},
		{"odd minutes", url.Values{"answer": {"delayed"}, "minutes": {"7"}}, 400, "", 0, "Bitte wählen Sie eine Antwort."},
		{"unknown answer", url.Values{"answer": {"vielleicht"}}, 400, "", 0, "Bitte wählen Sie eine Antwort."},
		{"no answer", url.Values{}, 400, "", 0, "Bitte wählen Sie eine Antwort."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, openStatus())
			code, hdr, body := e.post(t, "/ack/"+e.token, tt.form)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, body)
			}
			if e.sink.records != tt.records || e.sink.status.Answer != tt.kind {
				t.Fatalf("records=%d answer=%q", e.sink.records, e.sink.status.Answer)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, body)
			}
			checkHeaders(t, hdr)
		})
	}
}

func TestPostTwiceShowsCurrentAnswer(t *testing.T) {
	e := newEnv(t, openStatus())
	form := url.Values{"answer": {"available"}}
	for i := range 2 {
		code, _, body := e.post(t, "/ack/"+e.token, form)
		if code != 200 || !strings.Contains(body, "gespeichert: Ich komme") {
			t.Fatalf("post %d: %d %s", i, code, body)
		}
	}
	_, _, body := e.get(t, "/ack/"+e.token)
	if !strings.Contains(body, "Ihre aktuelle Rückmeldung: Ich komme (gemeldet um 03:12)") {
		t.Errorf("GET after answer lacks current answer:\n%s", body)
	}
}

func TestBodyCapped(t *testing.T) {
	e := newEnv(t, openStatus())
	big := url.Values{"answer": {"available"}, "pad": {strings.Repeat("x", 64<<10)}}
	code, _, _ := e.post(t, "/ack/"+e.token, big)
	if code != http.StatusBadRequest || e.sink.records != 0 {
		t.Fatalf("status %d records %d", code, e.sink.records)
	}
}

func TestRefusals(t *testing.T) {
	type tc struct {
		name   string
		status func(Status) Status
		token  func(e *env) string
		after  time.Duration
		err    error
		method string
		code   int
		want   string
	}
	same := func(s Status) Status { return s }
	valid := func(e *env) string { return e.token }
	tests := []tc{
		{"expired get", same, valid, 3 * time.Hour, nil, "GET", 410, "Dieser Link ist abgelaufen."},
		{"expired post", same, valid, 3 * time.Hour, nil, "POST", 410, "This link has expired."},
		{"tampered", same, func(e *env) string { return flip(e.token, 10) }, 0, nil, "POST", 400, "Dieser Link ist ungültig."},
		{"malformed", same, func(*env) string { return "nonsense" }, 0, nil, "GET", 400, "This link is invalid."},
		{"foreign", func(s Status) Status { s.Known = false; return s }, valid, 0, nil, "POST", 404, "Dieser Link ist nicht bekannt."},
		{"stood down post", func(s Status) Status { s.Open = false; return s }, valid, 0, nil, "POST", 409, "Dieses Ereignis ist beendet."},
		{"stood down get", func(s Status) Status { s.Open = false; return s }, valid, 0, nil, "GET", 200, "Dieses Ereignis ist beendet."},
		{"unavailable get", same, valid, 0, fmt.Errorf("kv: %w", ErrUnavailable), "GET", 503, "Bitte erneut versuchen."},
		{"unavailable post", same, valid, 0, fmt.Errorf("kv: %w", ErrUnavailable), "POST", 503, "Bitte erneut versuchen."},
		{"other sink error", same, valid, 0, fmt.Errorf("boom"), "POST", 500, "Bitte erneut versuchen."},
		{"method", same, valid, 0, nil, "PUT", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.status(openStatus()))
			e.sink.err = tt.err
			e.clock.t = e.clock.t.Add(tt.after)
			form := url.Values{"answer": {"available"}}
			req, err := http.NewRequest(tt.method, e.srv.URL+"/ack/"+tt.token(e), strings.NewReader(form.Encode()))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			code, hdr, body := read(t, resp)
			if code != tt.code {
				t.Fatalf("status %d, want %d", code, tt.code)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, body)
			}
			if strings.Contains(body, `method="post"`) {
				t.Error("refusal page offers the answer form")
			}
			if e.sink.records != 0 {
				t.Fatalf("recorded %d", e.sink.records)
			}
			checkHeaders(t, hdr)
		})
	}
}

func TestRecordClosedInBetween(t *testing.T) {
	e := newEnv(t, openStatus())
	e.sink.recordErr = fmt.Errorf("engine: %w", ErrClosed)
	code, _, body := e.post(t, "/ack/"+e.token, url.Values{"answer": {"available"}})
	if code != http.StatusConflict || !strings.Contains(body, "Dieses Ereignis ist beendet.") {
		t.Fatalf("%d %s", code, body)
	}
}

func TestLinks(t *testing.T) {
	a, d, u := Links("https://kaskade.example.de/", "tok.sig")
	want := "https://kaskade.example.de/ack/tok.sig?answer="
	if a != want+"available" || d != want+"delayed" || u != want+"unavailable" {
		t.Fatalf("%s %s %s", a, d, u)
	}
}
