// Package board serves Kaskade's live readiness board (Lagebild) for the
// situation centre: the HTML page and its embedded assets, cookie sessions
// for the browser, a Server-Sent Events stream of the read model and the
// drill-down endpoint for one organisation.
//
// The board only reads. Actions on the page (declare, situation update,
// response on someone's behalf, stand-down) call the REST API, which other
// packages serve on the same mux; that API can use [Board.SessionRole] and
// [Board.CheckCSRF] to accept the board's cookie sessions.
//
// # Stream
//
// GET /api/v1/stream (session cookie or Authorization: Bearer) sends:
//
//	event: snapshot   {"incidents":[IncidentView…],"scenarios":[ScenarioInfo…],"now":"…"}
//	event: change     activation.Change or an incident patch, id = Seq, in Seq order
//	: heartbeat       every DefaultHeartbeat, followed by event: ping {"now":"…"}
//
// An incident change goes out whole the first time the streams see the
// incident (after a resync, an added organisation or a stand-down too) and
// otherwise as a patch against the incident's previous view:
//
//	{"seq":…,"kind":"incident_patch","incident_id":"K7",
//	 "patch":{"counts":{…}},"organisations":[OrgReadiness…]}
//
// patch holds the view's top-level fields that changed (null: no longer
// set), organisations the changed tiles (replace by org) that no readiness
// change of the same batch carries. A client applies it to the incident it
// has and ignores one for an incident it does not have (not in its
// snapshot). A change with nothing new is not sent.
//
// Every connection starts with a snapshot, also a reconnect with
// Last-Event-ID: changes are never replayed. The snapshot holds the open
// incidents and the most recently closed ones (?history=1: all). Streams
// share one subscription to the Source and are capped per token and in all
// (429 with Retry-After). Changes are coalesced per
// client: what the source published together goes out in one write, an
// isolated change at once; within a burst at most one batch per
// coalescing window ([DefaultCoalesceWindow], longer with many streams), holding only the latest readiness per (incident,
// org) and the latest change per incident (two pending ones for an incident
// become its whole view; timeline items are all kept). When the source drops the subscription, or too many timeline items
// pile up, the response ends and the browser reconnects and resynchronises.
//
// Streams do not end by themselves: call [Board.Close] on shutdown, for
// example with http.Server.RegisterOnShutdown(board.Close).
package board

import (
	"cmp"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// Source is the read model the board shows.
type Source interface {
	// Incidents returns all incidents, newest first, with full readiness.
	Incidents() []activation.IncidentView
	// Detail returns the drill-down for one organisation in one incident.
	Detail(incident, org string) (activation.OrgDetail, bool)
	// Scenarios lists the scenarios for the declare form.
	Scenarios() []activation.ScenarioInfo
	// Subscribe delivers live changes in Seq order. A slow subscriber may be
	// dropped: its channel is closed and it must resynchronise.
	Subscribe() (changes <-chan activation.Change, cancel func())
}

// Current is what a Source may implement to say whether its read model is
// current (the event log replayed, the connection to it up). While it is not,
// the board serves no stream: open pages show the connection loss and grey
// out their tiles instead of old data as live, and reconnect by themselves.
type Current interface {
	Ready() bool
}

// current reports whether the source's read model may be shown as live.
func (b *Board) current() bool {
	c, ok := b.src.(Current)
	return !ok || c.Ready()
}

// Authenticator checks API tokens.
type Authenticator interface {
	// Authenticate checks an API token (the same tokens the REST API takes as Bearer).
	Authenticate(token string) (name string, role config.Role, ok bool)
}

// Options configure a Board.
type Options struct {
	Source Source
	Auth   Authenticator
	Logger *slog.Logger
	// Now is the clock for sessions and the stream; time.Now when nil.
	Now func() time.Time
	// SecureCookies marks the session cookie Secure (set it behind HTTPS).
	SecureCookies bool

	// TrustedProxies may set X-Forwarded-For (for login limits and logs);
	// without any the header is ignored.
	TrustedProxies []netip.Prefix
	// Registerer gets kaskade_http_auth_failures_total and
	// kaskade_board_stream_batches_total (nil: not registered).
	Registerer prometheus.Registerer
	// MaxStreams caps open streams in all (default DefaultMaxStreams) and
	// MaxStreamsPerToken per token (default DefaultMaxStreamsPerToken);
	// beyond them a stream is refused with 429 and Retry-After.
	MaxStreams, MaxStreamsPerToken int
	// RecentClosed is how many stood-down incidents, newest first, the
	// snapshot carries beside the open ones (default DefaultRecentClosed).
	RecentClosed int
}

// Defaults for the stream and sessions.
const (
	DefaultHeartbeat = 15 * time.Second
	// DefaultCoalesceWindow is the least time between two batches to one
	// stream client within a burst; with many streams open the window grows
	// (20 µs per stream, up to 50 ms), so a sustained burst's writes stay
	// bounded while a reply's way to the wall screen stays short.
	DefaultCoalesceWindow = time.Millisecond
	DefaultSessionTTL     = 12 * time.Hour
	DefaultSessionIdle    = 4 * time.Hour
	// DefaultMaxStreams is sized for the 1,000-stream target (bench).
	DefaultMaxStreams         = 1000
	DefaultMaxStreamsPerToken = 100
	// DefaultRecentClosed: the page shows the last four closed incidents.
	DefaultRecentClosed = 8
)

// Board serves the live board. Create it with New.
type Board struct {
	src    Source
	auth   Authenticator
	log    *slog.Logger
	now    func() time.Time
	secure bool

	sessions *sessionStore
	fails    *web.FailGuard // wrong tokens per client address (login and bearer)
	trusted  []netip.Prefix

	maxStreams, maxPerToken, recentClosed int

	// Tunables, changed only by tests before serving.
	heartbeat   time.Duration
	coalesce    time.Duration
	maxPending  int           // timeline items buffered per stream before it is dropped
	writeWait   time.Duration // deadline for one write to a stream client
	streamRetry time.Duration // reconnect delay suggested to EventSource

	streamsMu sync.Mutex
	streams   int
	perToken  map[string]int // open streams per token

	hub *hub // one subscription to the source for all streams

	closeOnce sync.Once
	closed    chan struct{} // closed by Close: streams end
}

// New returns a Board. Source and Auth are required.
func New(opts Options) *Board {
	if opts.Source == nil || opts.Auth == nil {
		panic("board: Options.Source and Options.Auth are required")
	}
	b := &Board{
		src:         opts.Source,
		auth:        opts.Auth,
		log:         opts.Logger,
		now:         opts.Now,
		secure:      opts.SecureCookies,
		heartbeat:   DefaultHeartbeat,
		coalesce:    DefaultCoalesceWindow,
		maxPending:  1024,
		writeWait:   30 * time.Second,
		streamRetry: time.Second,
		closed:      make(chan struct{}),
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	if b.now == nil {
		b.now = time.Now
	}
	b.sessions = newSessionStore(b.now, DefaultSessionTTL, DefaultSessionIdle)
	b.fails = web.NewFailGuard(web.FailGuardOptions{Surface: "board", Logger: b.log, Now: b.now,
		Burst: loginBurst, Every: loginWindow / loginBurst, Registerer: opts.Registerer})
	b.trusted = opts.TrustedProxies
	b.maxStreams = cmp.Or(opts.MaxStreams, DefaultMaxStreams)
	b.maxPerToken = cmp.Or(opts.MaxStreamsPerToken, DefaultMaxStreamsPerToken)
	b.recentClosed = cmp.Or(opts.RecentClosed, DefaultRecentClosed)
	b.perToken = map[string]int{}
	b.hub = newHub(opts.Source)
	b.hub.registerMetrics(opts.Registerer)
	return b
}

// Register adds the board's routes to mux:
//
//	GET  /                                          board page (?lang=en, ?wall=1)
//	GET  /assets/…                                  embedded CSS, JS, icons
//	GET  /login, POST /login                        token login → session cookie
//	POST /logout                                    CSRF-checked
//	GET  /api/v1/session                            {name, role, csrf}
//	GET  /api/v1/stream                             Server-Sent Events
//	GET  /api/v1/incidents/{id}/organisations/{org} drill-down (OrgDetail)
func (b *Board) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", b.handlePage)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(serveAsset)))
	mux.HandleFunc("GET /login", b.handleLoginPage)
	mux.HandleFunc("POST /login", b.handleLogin)
	mux.HandleFunc("POST /logout", b.handleLogout)
	mux.HandleFunc("GET /api/v1/session", b.handleSession)
	mux.HandleFunc("GET /api/v1/stream", b.handleStream)
	mux.HandleFunc("GET /api/v1/incidents/{id}/organisations/{org}", b.handleDetail)
	mux.HandleFunc("GET /card/{org}", b.handleCard)     // emergency card (card.go)
	mux.HandleFunc("GET /proposals", b.handleProposals) // proposals from warning systems (proposals.go)
	mux.HandleFunc("GET /proposals/count", b.handleProposalCount)
}

// Close ends all open streams and refuses new ones. Streams never end on
// their own, so call Close before or during http.Server.Shutdown, for example
// with srv.RegisterOnShutdown(board.Close). Close is idempotent.
func (b *Board) Close() {
	b.closeOnce.Do(func() { close(b.closed) })
}

// openStreams returns the number of open streams.
func (b *Board) openStreams() int {
	b.streamsMu.Lock()
	defer b.streamsMu.Unlock()
	return b.streams
}

// principal is an authenticated caller.
type principal struct {
	name  string
	role  config.Role
	token string   // the API token, the key of per-token caps
	sess  *session // nil for Bearer
}

// authenticate accepts a session cookie or an Authorization: Bearer token.
// Without a caller it has answered 401, or 429 when the address has sent
// too many wrong tokens.
func (b *Board) authenticate(w http.ResponseWriter, r *http.Request) (principal, bool) {
	if tok, ok := bearer(r); ok {
		name, role, ok := b.auth.Authenticate(tok)
		if !ok {
			if limited, retry := b.fails.Fail(r.Context(), web.ClientAddr(r, b.trusted), "bearer"); limited {
				w.Header().Set("Retry-After", web.RetryAfter(retry))
				web.WriteError(w, http.StatusTooManyRequests, "rate_limited", "too many wrong tokens from this address; wait and check the token")
				return principal{}, false
			}
			writeUnauthorized(w)
			return principal{}, false
		}
		if role == config.RoleIntake {
			writeIntakeForbidden(w)
			return principal{}, false
		}
		return principal{name: name, role: role, token: tok}, true
	}
	s, ok := b.sessionFor(r)
	if !ok {
		writeUnauthorized(w)
		return principal{}, false
	}
	return principal{name: s.name, role: s.role, token: s.token, sess: s}, true
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	tok := strings.TrimSpace(h[7:])
	return tok, tok != ""
}

func (b *Board) handleDetail(w http.ResponseWriter, r *http.Request) {
	if _, ok := b.authenticate(w, r); !ok {
		return
	}
	d, ok := b.src.Detail(r.PathValue("id"), r.PathValue("org"))
	if !ok {
		web.WriteError(w, http.StatusNotFound, "not_found", "unknown incident or organisation")
		return
	}
	if d.Nodes == nil {
		d.Nodes = []activation.NodeView{}
	}
	if d.Timeline == nil {
		d.Timeline = []activation.TimelineItem{}
	}
	web.WriteJSON(w, http.StatusOK, d)
}

// writeIntakeForbidden answers a warning system's intake token, which is
// right but may not watch the board: 403, not a wrong token (401, counted).
func writeIntakeForbidden(w http.ResponseWriter) {
	web.WriteError(w, http.StatusForbidden, "forbidden", "role intake may only deliver warnings (POST /api/v1/intake/…)")
}

func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="kaskade"`)
	web.WriteError(w, http.StatusUnauthorized, "unauthorized", "log in or send Authorization: Bearer <token>")
}

// canAct reports whether a role may change things (declare, respond, stand down).
func canAct(r config.Role) bool {
	return r == config.RoleDutyOfficer || r == config.RoleAdmin
}
