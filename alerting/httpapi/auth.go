package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// Token is an API token known by its SHA-256 only.
type Token struct {
	Name   string
	Role   config.Role
	SHA256 string
}

// Auth checks bearer tokens against hashed tokens; a reload swaps them.
type Auth struct{ tokens atomic.Pointer[[]Token] }

// NewAuth returns an Auth for the configured tokens plus extra ones (the
// generated admin token).
func NewAuth(cfg *config.Config, extra ...Token) *Auth {
	var tokens []Token
	for _, t := range cfg.Tokens {
		tokens = append(tokens, Token{Name: t.Name, Role: t.Role, SHA256: strings.ToLower(t.SHA256)})
	}
	tokens = append(tokens, extra...)
	a := &Auth{}
	a.tokens.Store(&tokens)
	return a
}

// Replace makes next's tokens the ones a accepts, at once for every request
// after it (a configuration reload: new tokens work, removed ones do not).
func (a *Auth) Replace(next *Auth) { a.tokens.Store(next.tokens.Load()) }

// HashToken returns the hex SHA-256 of a token, as stored in the configuration.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// Authenticate checks a token in constant time per candidate.
func (a *Auth) Authenticate(token string) (string, config.Role, bool) {
	if token == "" {
		return "", "", false
	}
	sum := HashToken(token)
	for _, t := range *a.tokens.Load() {
		if subtle.ConstantTimeCompare([]byte(sum), []byte(t.SHA256)) == 1 {
			return t.Name, t.Role, true
		}
	}
	return "", "", false
}

// authenticateIntake admits intake tokens (and admins, for tests by hand)
// to the intake endpoints, by bearer token only: no board session.
func (s *Server) authenticateIntake(w http.ResponseWriter, r *http.Request) (principal, bool) {
	h := r.Header.Get("Authorization")
	if h == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="kaskade"`)
		web.WriteError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <token>")
		return principal{}, false
	}
	scheme, tok, _ := strings.Cut(h, " ")
	name, role, valid := s.opts.Auth.Authenticate(strings.TrimSpace(tok))
	switch {
	case !strings.EqualFold(scheme, "Bearer") || !valid:
		s.wrongToken(w, r)
		return principal{}, false
	case role != config.RoleIntake && role != config.RoleAdmin:
		web.WriteError(w, http.StatusForbidden, "forbidden", "role "+string(role)+" may not deliver warnings; use an intake token")
		return principal{}, false
	}
	return principal{name, role}, true
}

// Sessions is the board's cookie login, used when no bearer token is sent.
type Sessions interface {
	SessionRole(r *http.Request) (name string, role config.Role, ok bool)
	CheckCSRF(r *http.Request) bool
}

// CanAct reports whether a role may change things (declare, respond, stand down).
func CanAct(r config.Role) bool { return r == config.RoleDutyOfficer || r == config.RoleAdmin }

type principal struct {
	name string
	role config.Role
}

// authenticate resolves the caller from a bearer token or a board session.
// Cookie-authenticated writes must carry the session's CSRF token. Another
// scheme (a reverse proxy's Basic auth, which browsers resend) is not ours:
// the session decides, as on the board, and it is no wrong token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, write bool) (principal, bool) {
	if scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " "); strings.EqualFold(scheme, "Bearer") { // schemes are case-insensitive
		if name, role, valid := s.opts.Auth.Authenticate(strings.TrimSpace(tok)); valid {
			return s.authorize(w, principal{name, role}, write)
		}
		s.wrongToken(w, r)
		return principal{}, false
	}
	if s.opts.Sessions != nil {
		if name, role, ok := s.opts.Sessions.SessionRole(r); ok {
			if write && !s.opts.Sessions.CheckCSRF(r) {
				web.WriteError(w, http.StatusForbidden, "csrf", "missing or wrong X-CSRF-Token")
				return principal{}, false
			}
			return s.authorize(w, principal{name, role}, write)
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="kaskade"`)
	web.WriteError(w, http.StatusUnauthorized, "unauthorized", "send Authorization: Bearer <token>")
	return principal{}, false
}

func (s *Server) authorize(w http.ResponseWriter, p principal, write bool) (principal, bool) {
	if p.role == config.RoleIntake {
		web.WriteError(w, http.StatusForbidden, "forbidden", "role intake may only deliver warnings (POST /api/v1/intake/…)")
		return principal{}, false
	}
	if write && !CanAct(p.role) {
		web.WriteError(w, http.StatusForbidden, "forbidden", "role "+string(p.role)+" may only read")
		return principal{}, false
	}
	return p, true
}
