package twiliotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Message is a message the Server accepted.
type Message struct {
	SID                 string
	AccountSID          string
	To                  string
	From                string
	MessagingServiceSID string
	Body                string
	StatusCallback      string
	ValidityPeriod      int // seconds, 0 when not given
	NumSegments         int
	Status              string // queued, then as reported by callbacks
	ErrorCode           int
	Created             time.Time
	Updated             time.Time
}

// Stats are the Server's counters.
type Stats struct {
	Accepted int64
	// Rejected counts rejections by Twilio error code.
	Rejected map[int]int64
	// MaxConcurrent is the most API requests seen in flight at once,
	// including those rejected for exceeding ConcurrencyLimit.
	MaxConcurrent int64
	InFlight      int64
	Callbacks     int64 // status callbacks answered with 2xx
}

// Server is a fake Twilio REST API. Use it as an http.Handler (for example
// with httptest.NewServer) and Close it when done.
type Server struct {
	opts Options

	latency  atomic.Int64 // time.Duration
	limit    atomic.Int64
	inFlight atomic.Int64
	maxSeen  atomic.Int64
	accepted atomic.Int64
	cbOK     atomic.Int64

	mu       sync.Mutex
	inject   []injected
	messages []*Message
	bySID    map[string]*Message
	rejected map[int]int64

	cb    *callbacks
	calls *calls // calls.go
}

type injected struct {
	remaining  int
	failure    Failure
	retryAfter time.Duration
}

// NewServer returns a fake Twilio with opts.
func NewServer(opts Options) *Server {
	o := opts.withDefaults()
	s := &Server{
		opts:     o,
		bySID:    make(map[string]*Message),
		rejected: make(map[int]int64),
	}
	s.latency.Store(int64(o.Latency))
	s.limit.Store(int64(o.ConcurrencyLimit))
	s.cb = newCallbacks(s)
	s.calls = newCalls()
	return s
}

// AccountSID returns the account the Server accepts.
func (s *Server) AccountSID() string { return s.opts.AccountSID }

// AuthToken returns the token the Server accepts and signs with.
func (s *Server) AuthToken() string { return s.opts.AuthToken }

// Close stops status callbacks and waits for those in progress.
func (s *Server) Close() {
	s.cb.close()
	s.calls.wg.Wait()
}

// SetLatency changes the answer delay.
func (s *Server) SetLatency(d time.Duration) { s.latency.Store(int64(d)) }

// SetConcurrencyLimit changes the in-flight limit (0 = unlimited).
func (s *Server) SetConcurrencyLimit(n int) { s.limit.Store(int64(n)) }

// FailNext makes the next n API requests fail with f. A Retry-After header
// is sent when retryAfter > 0 (rounded up to whole seconds).
func (s *Server) FailNext(n int, f Failure, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject = append(s.inject, injected{remaining: n, failure: f, retryAfter: retryAfter})
}

// ThrottleNext makes the next n requests answer 429 with code 20429.
func (s *Server) ThrottleNext(n int, retryAfter time.Duration) {
	s.FailNext(n, Failure{Status: http.StatusTooManyRequests, Code: 20429, Message: "Too Many Requests"}, retryAfter)
}

// ServerErrorNext makes the next n requests answer with HTTP status (500,
// 502, 503, …) and code 20500.
func (s *Server) ServerErrorNext(n int, status int) {
	s.FailNext(n, Failure{Status: status, Code: 20500, Message: "An internal server error has occurred"}, 0)
}

// Messages returns copies of the accepted messages in order of arrival.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	for i, m := range s.messages {
		out[i] = *m
	}
	return out
}

// Message returns the accepted message sid.
func (s *Server) Message(sid string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.bySID[sid]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Stats returns the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	rej := make(map[int]int64, len(s.rejected))
	for k, v := range s.rejected {
		rej[k] = v
	}
	s.mu.Unlock()
	return Stats{
		Accepted:      s.accepted.Load(),
		Rejected:      rej,
		MaxConcurrent: s.maxSeen.Load(),
		InFlight:      s.inFlight.Load(),
		Callbacks:     s.cbOK.Load(),
	}
}

// ServeHTTP implements the Messages API:
//
//	POST /2010-04-01/Accounts/{AccountSid}/Messages.json
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages.json (list, filtered)
//	GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
//	POST /2010-04-01/Accounts/{AccountSid}/Calls.json and Calls/{Sid}.json
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for {
		m := s.maxSeen.Load()
		if n <= m || s.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	w.Header().Set("Twilio-Concurrent-Requests", strconv.FormatInt(n, 10))
	if d := time.Duration(s.latency.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}

	account, rest, ok := route(r.URL.Path)
	if !ok {
		s.fail(w, Failure{Status: http.StatusNotFound, Code: 20404}, 0)
		return
	}
	user, pass, hasAuth := r.BasicAuth()
	if !hasAuth || user != s.opts.AccountSID || pass != s.opts.AuthToken {
		w.Header().Set("WWW-Authenticate", `Basic realm="Twilio API"`)
		s.fail(w, Failure{Status: http.StatusUnauthorized, Code: 20003, Message: "Authenticate"}, 0)
		return
	}
	if account != s.opts.AccountSID {
		s.fail(w, Failure{Status: http.StatusNotFound, Code: 20404}, 0)
		return
	}
	if lim := s.limit.Load(); lim > 0 && n > lim {
		s.fail(w, Failure{Status: http.StatusTooManyRequests, Code: 20429, Message: "Too Many Requests"}, time.Second)
		return
	}
	if f, ra, ok := s.nextInjected(); ok {
		s.fail(w, f, ra)
		return
	}
	switch {
	case rest == "Messages.json" && r.Method == http.MethodPost:
		s.create(w, r, account)
	case rest == "Messages.json" && r.Method == http.MethodGet:
		s.list(w, r, account)
	case strings.HasPrefix(rest, "Messages/") && strings.HasSuffix(rest, ".json") && r.Method == http.MethodGet:
		s.fetch(w, strings.TrimSuffix(strings.TrimPrefix(rest, "Messages/"), ".json"))
	case rest == "Calls.json" && r.Method == http.MethodPost:
		s.createCall(w, r, account)
	case r.Method == http.MethodPost && strings.HasPrefix(rest, "Calls/"):
		if sid, ok := callSID(rest); ok {
			s.updateCall(w, r, sid)
		} else {
			s.fail(w, Failure{Status: http.StatusNotFound, Code: 20404}, 0)
		}
	case rest == "Messages.json" || strings.HasPrefix(rest, "Messages/"):
		s.fail(w, Failure{Status: http.StatusMethodNotAllowed, Code: 20004, Message: "Method not allowed"}, 0)
	default:
		s.fail(w, Failure{Status: http.StatusNotFound, Code: 20404}, 0)
	}
}

// route splits /2010-04-01/Accounts/{sid}/{rest}.
func route(path string) (account, rest string, ok bool) {
	p, ok := strings.CutPrefix(path, "/2010-04-01/Accounts/")
	if !ok {
		return "", "", false
	}
	account, rest, ok = strings.Cut(p, "/")
	return account, rest, ok && account != ""
}

func (s *Server) nextInjected() (Failure, time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.inject) > 0 {
		in := &s.inject[0]
		if in.remaining <= 0 {
			s.inject = s.inject[1:]
			continue
		}
		in.remaining--
		return in.failure, in.retryAfter, true
	}
	return Failure{}, 0, false
}

// apiError is Twilio's error body.
type apiError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (s *Server) fail(w http.ResponseWriter, f Failure, retryAfter time.Duration) {
	if f.Status == 0 {
		f.Status = http.StatusBadRequest
	}
	if f.Message == "" {
		f.Message = defaultMessage(f.Code)
	}
	s.mu.Lock()
	s.rejected[f.Code]++
	s.mu.Unlock()
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((retryAfter+time.Second-1)/time.Second), 10))
	}
	writeJSON(w, f.Status, apiError{
		Code:     f.Code,
		Message:  f.Message,
		MoreInfo: "https://www.twilio.com/docs/errors/" + strconv.Itoa(f.Code),
		Status:   f.Status,
	})
}

func defaultMessage(code int) string {
	switch code {
	case 20003:
		return "Authenticate"
	case 20404:
		return "The requested resource was not found"
	case 20429:
		return "Too Many Requests"
	case 21211:
		return "The 'To' number is not a valid phone number."
	case 21408:
		return "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"
	case 21602:
		return "Message body is required."
	case 21603:
		return "The source 'from' phone number is required to send an SMS"
	case 21604:
		return "A 'To' phone number is required."
	case 21610:
		return "Attempt to send to unsubscribed recipient"
	case 21612:
		return "The 'To' phone number is not currently reachable via SMS"
	case 21614:
		return "'To' number is not a valid mobile number"
	case 21617:
		return "The concatenated message body exceeds the 1600 character limit"
	}
	return "Error " + strconv.Itoa(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// newSID returns prefix followed by 32 random hex digits.
func newSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// ListenAndServe runs a Server on addr until ctx is done, for local
// development (kaskade's dev subcommand).
func ListenAndServe(ctx context.Context, addr string, opts Options) error {
	s := NewServer(opts)
	defer s.Close()
	hs := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		return hs.Shutdown(sctx)
	}
}
