package board

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// CookieName is the name of the board's session cookie.
const CookieName = "kaskade_session"

// CSRFHeader carries the session's CSRF token on state-changing requests.
const CSRFHeader = "X-CSRF-Token"

// maxSessions bounds the in-memory store; maxSessionsPerToken bounds one
// token's share of it, so a flood of logins with one token only ever
// evicts that token's own oldest sessions.
const (
	maxSessions         = 10000
	maxSessionsPerToken = 200
)

type session struct {
	id      string
	csrf    string
	name    string
	role    config.Role
	token   string // re-checked on use, so a revoked token ends its sessions
	created time.Time
	seen    time.Time
}

type sessionStore struct {
	mu      sync.Mutex
	now     func() time.Time
	ttl     time.Duration // absolute lifetime
	idle    time.Duration // lifetime without use
	m       map[string]*session
	byToken map[string]map[string]*session // token → id → session

	max, perToken int // caps, changed only by tests
}

func newSessionStore(now func() time.Time, ttl, idle time.Duration) *sessionStore {
	return &sessionStore{now: now, ttl: ttl, idle: idle, m: make(map[string]*session),
		byToken: make(map[string]map[string]*session), max: maxSessions, perToken: maxSessionsPerToken}
}

// count returns the sessions of token.
func (st *sessionStore) count(token string) int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.byToken[token])
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics on failure)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (st *sessionStore) create(name string, role config.Role, token string) *session {
	now := st.now()
	s := &session{id: randomToken(), csrf: randomToken(), name: name, role: role, token: token, created: now, seen: now}
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= st.max || len(st.byToken[token]) >= st.perToken {
		st.sweepLocked(now)
	}
	// A token at its cap gives up its own least recently used session; at
	// the global cap the token holding the most sessions does.
	if len(st.byToken[token]) >= st.perToken {
		st.removeLocked(oldest(st.byToken[token]))
	} else if len(st.m) >= st.max {
		var largest map[string]*session
		for _, ss := range st.byToken {
			if len(ss) > len(largest) {
				largest = ss
			}
		}
		st.removeLocked(oldest(largest))
	}
	st.m[s.id] = s
	if st.byToken[token] == nil {
		st.byToken[token] = make(map[string]*session)
	}
	st.byToken[token][s.id] = s
	return s
}

func oldest(ss map[string]*session) *session {
	var o *session
	for _, s := range ss {
		if o == nil || s.seen.Before(o.seen) {
			o = s
		}
	}
	return o
}

func (st *sessionStore) removeLocked(s *session) {
	if s == nil {
		return
	}
	delete(st.m, s.id)
	if ss := st.byToken[s.token]; ss != nil {
		delete(ss, s.id)
		if len(ss) == 0 {
			delete(st.byToken, s.token)
		}
	}
}

func (st *sessionStore) sweepLocked(now time.Time) {
	for _, s := range st.m {
		if st.expired(s, now) {
			st.removeLocked(s)
		}
	}
}

func (st *sessionStore) expired(s *session, now time.Time) bool {
	return !now.Before(s.created.Add(st.ttl)) || !now.Before(s.seen.Add(st.idle))
}

// get returns a copy of the live session with id and marks it used.
func (st *sessionStore) get(id string) (*session, bool) {
	if id == "" {
		return nil, false
	}
	now := st.now()
	st.mu.Lock()
	defer st.mu.Unlock()
	s, ok := st.m[id]
	if !ok {
		return nil, false
	}
	if st.expired(s, now) {
		st.removeLocked(s)
		return nil, false
	}
	s.seen = now
	c := *s
	return &c, true
}

func (st *sessionStore) delete(id string) {
	st.mu.Lock()
	st.removeLocked(st.m[id])
	st.mu.Unlock()
}

// sessionFor returns the caller's cookie session, re-checking its token.
func (b *Board) sessionFor(r *http.Request) (*session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return nil, false
	}
	s, ok := b.sessions.get(c.Value)
	if !ok {
		return nil, false
	}
	name, role, ok := b.auth.Authenticate(s.token)
	if !ok || role == config.RoleIntake {
		b.sessions.delete(s.id)
		return nil, false
	}
	s.name, s.role = name, role
	return s, true
}

// SessionRole returns the name and role of the caller's cookie session, for
// the REST API middleware. It does not look at Authorization headers.
func (b *Board) SessionRole(r *http.Request) (name string, role config.Role, ok bool) {
	s, ok := b.sessionFor(r)
	if !ok {
		return "", "", false
	}
	return s.name, s.role, true
}

// CheckCSRF reports whether the X-CSRF-Token header matches the caller's
// cookie session. Requests that authenticate with a Bearer token instead of
// the cookie need no CSRF token; the REST API decides that.
func (b *Board) CheckCSRF(r *http.Request) bool {
	s, ok := b.sessionFor(r)
	if !ok {
		return false
	}
	return tokenEqual(r.Header.Get(CSRFHeader), s.csrf)
}

func tokenEqual(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (b *Board) setSessionCookie(w http.ResponseWriter, s *session) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    s.id,
		Path:     "/",
		HttpOnly: true,
		Secure:   b.secure,
		SameSite: http.SameSiteStrictMode,
		MaxAge:   int(DefaultSessionTTL / time.Second),
	})
}

func (b *Board) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: b.secure, SameSite: http.SameSiteStrictMode,
	})
}

// handleSession: GET /api/v1/session → {name, role, csrf, can_act}.
func (b *Board) handleSession(w http.ResponseWriter, r *http.Request) {
	p, ok := b.authenticate(w, r)
	if !ok {
		return
	}
	out := struct {
		Name   string      `json:"name"`
		Role   config.Role `json:"role"`
		CSRF   string      `json:"csrf,omitempty"`
		CanAct bool        `json:"can_act"`
	}{Name: p.name, Role: p.role, CanAct: canAct(p.role)}
	if p.sess != nil {
		out.CSRF = p.sess.csrf
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// crossSite reports a browser request from another site (login CSRF).
func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	return false
}

func (b *Board) handleLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	lang := langOf(r)
	next := safeNext(r.FormValue("next"))
	if crossSite(r) {
		http.Error(w, "cross-site login refused", http.StatusForbidden)
		return
	}
	ip := web.ClientAddr(r, b.trusted)
	token := r.PostFormValue("token")
	name, role, ok := "", config.Role(""), false
	if token != "" {
		name, role, ok = b.auth.Authenticate(token)
	}
	// A warning system's token is right but may not log in (not a failure).
	if ok && role == config.RoleIntake {
		b.renderLogin(w, http.StatusForbidden, lang, next, loginText[lang]["intake"])
		return
	}
	// The right token always logs in: the lockout only answers wrong ones.
	if !ok {
		if limited, retry := b.fails.Fail(r.Context(), ip, "login"); limited {
			w.Header().Set("Retry-After", web.RetryAfter(retry))
			b.renderLogin(w, http.StatusTooManyRequests, lang, next, loginText[lang]["toomany"])
			return
		}
		b.renderLogin(w, http.StatusUnauthorized, lang, next, loginText[lang]["invalid"])
		return
	}
	// A new session id on every login (no fixation); drop the old one.
	if c, err := r.Cookie(CookieName); err == nil {
		b.sessions.delete(c.Value)
	}
	s := b.sessions.create(name, role, token)
	b.setSessionCookie(w, s)
	b.log.Info("board login", "name", name, "role", role, "remote", ip)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (b *Board) handleLogout(w http.ResponseWriter, r *http.Request) {
	s, ok := b.sessionFor(r)
	if !ok {
		writeUnauthorized(w)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	got := r.Header.Get(CSRFHeader)
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	if !tokenEqual(got, s.csrf) {
		web.WriteError(w, http.StatusForbidden, "csrf", "missing or wrong CSRF token")
		return
	}
	b.sessions.delete(s.id)
	b.clearSessionCookie(w)
	b.log.Info("board logout", "name", s.name)
	if r.Header.Get(CSRFHeader) != "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// safeNext keeps a post-login redirect on this site.
func safeNext(next string) string {
	if next == "" || next[0] != '/' || len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return "/"
	}
	for _, c := range next {
		if c < 0x20 || c == 0x7f {
			return "/"
		}
	}
	return next
}

// Failed tokens per address: loginBurst at once, then one per
// loginWindow/loginBurst (the login page says "wait a minute").
const (
	loginBurst  = 10
	loginWindow = time.Minute
)
