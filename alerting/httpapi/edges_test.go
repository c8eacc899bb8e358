package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 3, 2, 12, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Finding 6 of issue 15: a 1,679-character title and a 60 KB update were
// accepted and then failed at Twilio (21617); control characters and
// invalid UTF-8 went through.
func TestTextsTheChannelsCannotCarryAreRefused(t *testing.T) {
	s := startAPI(t)
	real := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`)
	act := func(action string) string { return "/api/v1/incidents/" + real + "/" + action }
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"title of 1,679 characters", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x","title":"` + long(1679) + `"}`, 400, "too_long"},
		{"title with NUL", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x","title":"a\u0000b"}`, 400, "invalid_text"},
		{"title with ESC", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x","title":"a\u001b[2Jb"}`, 400, "invalid_text"},
		{"title with a line break", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x","title":"a\r\nb"}`, 400, "invalid_text"},
		{"reason with NUL", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x\u0000"}`, 400, "invalid_text"},
		{"message with a C1 control", "/api/v1/incidents", `{"scenario":"cyberangriff","reason":"x","message":"a\u009bb"}`, 400, "invalid_text"},
		{"invalid UTF-8", "/api/v1/incidents", "{\"scenario\":\"cyberangriff\",\"reason\":\"x\",\"title\":\"a\xffb\"}", 400, "invalid_text"},
		{"update of 1,000 characters", act("updates"), `{"text":"` + long(1000) + `"}`, 400, "too_long"},
		{"update with NUL", act("updates"), `{"text":"Lage\u0000"}`, 400, "invalid_text"},
		{"update, invalid UTF-8", act("updates"), "{\"text\":\"Lage \xc3\"}", 400, "invalid_text"},
		{"stand-down reason of 1,000 characters", act("stand-down"), `{"reason":"` + long(1000) + `"}`, 400, "too_long"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do("POST", tc.path, dutyToken, tc.body)
			wantError(t, r, tc.status, tc.code)
			if tc.code == "too_long" && !bytes.Contains(r.Body, []byte("3 SMS")) {
				t.Errorf("too_long does not name the budget of 3 SMS: %s", r.Body)
			}
		})
	}
	// Line breaks in bodies are fine, and a text within budget passes.
	if r := s.do("POST", act("updates"), dutyToken, `{"text":"Stab tritt um 04:00 zusammen.\nRaum 101."}`); r.Status != 200 {
		t.Fatalf("update with a line break: %d %s", r.Status, r.Body)
	}
	s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"x","message":"Raum 101\nHaus B"}`)
	// The example's alert SMS leaves the message out (it goes by email), so a long one passes.
	s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"x","message":"` + long(3000) + `"}`)
}

// The budget is configurable, but never beyond Twilio's 1,600 characters.
func TestSegmentBudgetIsConfigurable(t *testing.T) {
	s := startAPIWith(t, func(o *httpapi.Options) { o.SMSSegments = 50 })
	real := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`)
	path := "/api/v1/incidents/" + real + "/updates"
	if r := s.do("POST", path, dutyToken, `{"text":"`+strings.Repeat("x", 1000)+`"}`); r.Status != 200 {
		t.Fatalf("1,000 characters with a budget of 50 SMS: %d %s", r.Status, r.Body)
	}
	wantError(t, s.do("POST", path, dutyToken, `{"text":"`+strings.Repeat("x", 1590)+`"}`), 400, "too_long")
}

// Finding 6 of issue 15: one duty-officer token declared 1,000 incidents
// in four seconds. Declarations are limited per token, exercises and real
// incidents apart, with a 429 that says when to come back.
func TestDeclarationsAreRateLimitedPerToken(t *testing.T) {
	clk := newClock()
	s := startAPIWith(t, func(o *httpapi.Options) {
		o.Now = clk.Now
		o.DeclareLimits = httpapi.DeclareLimits{Real: httpapi.Rate{Burst: 2, Every: time.Minute}, Exercise: httpapi.Rate{Burst: 3, Every: time.Minute}}
	})
	realBody := `{"scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`
	drillBody := `{"scenario":"cyberangriff","organisations":["MI"],"reason":"Übung","exercise":true}`
	s.declare(realBody)
	s.declare(realBody)
	r := s.do("POST", "/api/v1/incidents", dutyToken, realBody)
	wantError(t, r, http.StatusTooManyRequests, "rate_limited")
	if r.Header.Get("Retry-After") != "60" {
		t.Errorf("Retry-After %q, want 60", r.Header.Get("Retry-After"))
	}
	for i := range 3 {
		s.declare(drillBody) // exercises are counted apart
		_ = i
	}
	wantError(t, s.do("POST", "/api/v1/incidents", dutyToken, drillBody), http.StatusTooManyRequests, "rate_limited")
	if r := s.do("POST", "/api/v1/incidents", adminToken, realBody); r.Status != http.StatusCreated {
		t.Fatalf("another token is limited too: %d %s", r.Status, r.Body)
	}
	// Tokens come back with time; a duplicate (same id) is not counted.
	clk.Add(2 * time.Minute)
	dup := `{"id":"dup-1","scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`
	s.declare(dup)
	if r := s.do("POST", "/api/v1/incidents", dutyToken, dup); r.Status != http.StatusOK {
		t.Fatalf("duplicate: %d %s", r.Status, r.Body)
	}
	s.declare(realBody)
	wantError(t, s.do("POST", "/api/v1/incidents", dutyToken, realBody), http.StatusTooManyRequests, "rate_limited")
}

// Finding 7 of issue 15: 300 wrong bearer tokens in 5.7 s, no log line, no
// limit. Wrong tokens are limited per client address, logged at a bounded
// rate without the token, and counted; the right token always passes.
func TestWrongBearerTokensAreLimitedLoggedAndCounted(t *testing.T) {
	clk := newClock()
	var logs syncBuffer
	reg := prometheus.NewRegistry()
	s := startAPIWith(t, func(o *httpapi.Options) {
		o.Now, o.Registerer = clk.Now, reg
		o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	statuses := map[int]int{}
	var retry string
	for i := range 300 {
		r := s.do("GET", "/api/v1/incidents", "guess-"+strings.Repeat("g", i%7), "")
		statuses[r.Status]++
		if r.Status == http.StatusTooManyRequests {
			retry = r.Header.Get("Retry-After")
		}
	}
	if statuses[401] != 10 || statuses[429] != 290 || retry == "" {
		t.Fatalf("300 wrong tokens: %v, Retry-After %q; want 10 × 401, then 429 with Retry-After", statuses, retry)
	}
	if r := s.do("GET", "/api/v1/incidents", viewerToken, ""); r.Status != 200 {
		t.Fatalf("the right token from the same address: %d", r.Status)
	}
	out := logs.String()
	if n := strings.Count(out, "wrong token"); n < 1 || n > 5 {
		t.Fatalf("%d log lines for 300 wrong tokens, want 1 to 5:\n%s", n, out)
	}
	if strings.Contains(out, "guess-") {
		t.Fatal("the log contains a guessed token")
	}
	if got := counter(t, reg, "kaskade_http_auth_failures_total"); got != 300 {
		t.Fatalf("kaskade_http_auth_failures_total = %v, want 300", got)
	}
	clk.Add(time.Minute)
	if r := s.do("GET", "/api/v1/incidents", "guess", ""); r.Status != 401 {
		t.Fatalf("after a minute: %d, want 401", r.Status)
	}
}

// X-Forwarded-For counts only from a configured trusted proxy; otherwise a
// client could pick a fresh address for every guess.
func TestForwardedForOnlyFromTrustedProxies(t *testing.T) {
	for _, trusted := range []bool{false, true} {
		clk := newClock()
		s := startAPIWith(t, func(o *httpapi.Options) {
			o.Now = clk.Now
			if trusted {
				o.TrustedProxies, _ = web.ParseProxies([]string{"127.0.0.1", "::1"})
			}
		})
		for range 10 {
			s.do("GET", "/api/v1/incidents", "guess", "", "X-Forwarded-For", "198.51.100.1")
		}
		r := s.do("GET", "/api/v1/incidents", "guess", "", "X-Forwarded-For", "198.51.100.2")
		want := http.StatusTooManyRequests // the header is ignored: the same address
		if trusted {
			want = http.StatusUnauthorized // another client behind the proxy
		}
		if r.Status != want {
			t.Fatalf("trusted proxies %v: status %d, want %d", trusted, r.Status, want)
		}
	}
}

// Finding 3 of issue 15: /api/v1/exercises re-read the whole log on every
// request (0.5 s each; 16 in parallel peaked at 767 MB).
func TestExerciseHistoryDoesNotRereadTheLogPerRequest(t *testing.T) {
	clk := newClock()
	var reads atomic.Int32
	var s *apiServer
	s = startAPIWith(t, func(o *httpapi.Options) {
		o.Now = clk.Now
		o.Events = func(ctx context.Context, incident string) ([]activation.Event, error) {
			if incident == "" {
				reads.Add(1)
			}
			return o.Engine.Events(ctx, incident)
		}
	})
	s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if r := s.do("GET", "/api/v1/exercises?format=json", viewerToken, ""); r.Status != 200 {
				t.Errorf("history: %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	if n := reads.Load(); n != 1 {
		t.Fatalf("16 history requests read the whole log %d times, want once", n)
	}
	clk.Add(httpapi.DefaultHistoryTTL)
	s.do("GET", "/api/v1/exercises?format=json", viewerToken, "")
	if n := reads.Load(); n != 2 {
		t.Fatalf("after the cache time the log was read %d times in all, want 2", n)
	}
	// A stand-down shows at once.
	if r := s.do("POST", "/api/v1/incidents/K1/stand-down", dutyToken, `{"reason":"Übung beendet"}`); r.Status != 200 {
		t.Fatalf("stand-down: %d %s", r.Status, r.Body)
	}
	s.do("GET", "/api/v1/exercises?format=json", viewerToken, "")
	if n := reads.Load(); n != 3 {
		t.Fatalf("after a stand-down the log was read %d times in all, want 3", n)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}
func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	return total
}

// The forms' live counter asks the server what the SMS will take.
func TestSMSSizeForTheFormCounter(t *testing.T) {
	s := startAPI(t)
	real := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"reason":"echt"}`)
	cases := []struct {
		name, body string
		fits       bool
	}{
		{"short alert", `{"scenario":"cyberangriff","title":"Cyberangriff","exercise":true}`, true},
		{"long title", `{"scenario":"cyberangriff","title":"` + strings.Repeat("x", 600) + `"}`, false},
		{"short update", `{"purpose":"update","incident":"` + real + `","text":"Stab um 4 Uhr"}`, true},
		{"long stand-down", `{"purpose":"stand_down","incident":"` + real + `","text":"` + strings.Repeat("x", 900) + `"}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out httpapi.SMSSize
			r := s.do("POST", "/api/v1/texts/sms", viewerToken, tc.body)
			mustJSON(t, r, &out)
			if r.Status != 200 || out.Fits != tc.fits || out.Budget != 3 || out.Segments < 1 || out.MaxChars != 1600 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
		})
	}
	wantError(t, s.do("POST", "/api/v1/texts/sms", viewerToken, `{"scenario":"meteorit"}`), 422, "unknown_scenario")
}
