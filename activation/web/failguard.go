package web

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// FailGuardOptions configure a FailGuard.
type FailGuardOptions struct {
	// Surface names the caller in logs and the metric ("api", "board").
	Surface string
	Logger  *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Burst failures per address, then one more every Every (defaults 10,
	// 6 s); a negative Burst never limits.
	Burst int
	Every time.Duration
	// Registerer registers kaskade_http_auth_failures_total (nil: not registered).
	Registerer prometheus.Registerer
}

// FailGuard counts failed tokens per client address: it limits an address
// that keeps failing, logs failures at most a few times a minute and counts
// them in kaskade_http_auth_failures_total{surface,outcome}. A correct token
// never consults it, so a lockout never keeps out the right token.
type FailGuard struct {
	surface string
	log     *slog.Logger
	perAddr *Buckets
	logs    *Buckets
	metric  *prometheus.CounterVec

	mu         sync.Mutex
	suppressed int
}

// NewFailGuard returns a FailGuard.
func NewFailGuard(o FailGuardOptions) *FailGuard {
	if o.Burst == 0 {
		o.Burst = 10
	}
	if o.Every <= 0 {
		o.Every = 6 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &FailGuard{
		surface: o.Surface,
		log:     o.Logger,
		perAddr: NewBuckets(o.Burst, o.Every, o.Now),
		logs:    NewBuckets(5, 12*time.Second, o.Now),
		metric:  authFailures(o.Registerer),
	}
}

func authFailures(reg prometheus.Registerer) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kaskade_http_auth_failures_total",
		Help: "Requests with a wrong token, by surface (api, board) and outcome (rejected: 401, limited: 429).",
	}, []string{"surface", "outcome"})
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return old
			}
		}
	}
	return c
}

// Fail records a failed token from addr (what: "bearer", "login"). It
// reports whether addr is over its limit, with the wait for Retry-After.
func (g *FailGuard) Fail(ctx context.Context, addr, what string) (limited bool, retry time.Duration) {
	ok, retry := g.perAddr.Take(addr)
	outcome := "rejected"
	if !ok {
		outcome = "limited"
	}
	g.metric.WithLabelValues(g.surface, outcome).Inc()
	if logOK, _ := g.logs.Take(""); !logOK {
		g.mu.Lock()
		g.suppressed++
		g.mu.Unlock()
		return !ok, retry
	}
	g.mu.Lock()
	n := g.suppressed
	g.suppressed = 0
	g.mu.Unlock()
	g.log.WarnContext(ctx, "wrong token", "surface", g.surface, "kind", what, "remote", addr, "limited", !ok, "suppressed_before", n)
	return !ok, retry
}

// Limited reports whether addr is over its limit, without counting a failure.
func (g *FailGuard) Limited(addr string) (bool, time.Duration) { return g.perAddr.Limited(addr) }
