package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/report"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// report serves the after-action report (Übungsbericht), computed from the
// event log alone: ?format=html (default), csv or json; ?lang=de|en.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok || !knownFormat(w, r, "html", "csv", "json") {
		return
	}
	id := r.PathValue("id")
	events, err := s.opts.Events(r.Context(), id)
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	if len(events) == 0 {
		web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+id)
		return
	}
	rep, err := report.Build(events, report.Options{Names: s.personName, Now: time.Now()})
	if err != nil {
		web.WriteError(w, http.StatusInternalServerError, "report", err.Error())
		return
	}
	s.writeReport(w, r, "bericht-"+id, func(b *bytes.Buffer, format, lang string) error {
		switch format {
		case "csv":
			return rep.WriteCSV(b)
		case "json":
			return rep.WriteJSON(b)
		}
		return rep.WriteHTML(b, lang)
	})
}

// history lists past exercises with their key figures and what has not
// been exercised in the last 12 months.
func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok || !knownFormat(w, r, "html", "json") {
		return
	}
	h, err := s.hist.get(r.Context(), s.historyKey(), s.opts.Now(), s.opts.HistoryTTL, s.buildHistory)
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	s.writeReport(w, r, "uebungen", func(b *bytes.Buffer, format, lang string) error {
		if format == "json" {
			return web.EncodeJSON(b, h)
		}
		return report.WriteHistoryHTML(b, h, lang)
	})
}

// historyCache keeps the exercise history for a while: building it reads
// the whole log. A new or stood-down incident (key) rebuilds it at once;
// requests that arrive during a build wait for it, so parallel requests
// cost one read.
type historyCache struct {
	mu  sync.Mutex
	at  time.Time
	key string
	h   report.HistoryView
	ok  bool
}

func (c *historyCache) get(ctx context.Context, key string, now time.Time, ttl time.Duration, build func(context.Context, time.Time) (report.HistoryView, error)) (report.HistoryView, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && key == c.key && now.Sub(c.at) < ttl {
		return c.h, nil
	}
	h, err := build(ctx, now)
	if err != nil {
		return h, err
	}
	c.h, c.at, c.key, c.ok = h, now, key, true
	return h, nil
}

// historyKey changes when an incident is declared, stood down or converted.
func (s *Server) historyKey() string {
	if s.opts.Engine == nil {
		return ""
	}
	var n, closed, converted int
	for _, v := range s.opts.Engine.Incidents() {
		n++
		if v.Status != "open" {
			closed++
		}
		if v.ConvertedAt != nil {
			converted++
		}
	}
	return fmt.Sprint(n, "/", closed, "/", converted)
}

func (s *Server) buildHistory(ctx context.Context, now time.Time) (report.HistoryView, error) {
	events, err := s.opts.Events(ctx, "")
	if err != nil {
		return report.HistoryView{}, err
	}
	byIncident := map[string][]activation.Event{}
	for _, e := range events {
		byIncident[e.Incident] = append(byIncident[e.Incident], e)
	}
	var reports []*report.Report
	for id, evs := range byIncident {
		if id == "_" {
			continue
		}
		if rep, err := report.Build(evs, report.Options{Names: s.personName, Now: now}); err == nil {
			reports = append(reports, rep)
		}
	}
	return report.History(reports, HistoryPlans(s.config()), now), nil
}

// knownFormat refuses a ?format= the endpoint does not serve (none means
// html), so a client asking for csv never gets HTML under a .csv name.
func knownFormat(w http.ResponseWriter, r *http.Request, formats ...string) bool {
	format := r.URL.Query().Get("format")
	if format == "" || slices.Contains(formats, format) {
		return true
	}
	web.WriteError(w, http.StatusBadRequest, "invalid_format", fmt.Sprintf("format %q: use %s", format, strings.Join(formats, ", ")))
	return false
}

func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, name string, write func(*bytes.Buffer, string, string) error) {
	format, lang := r.URL.Query().Get("format"), r.URL.Query().Get("lang")
	if lang != config.LangEN {
		lang = config.LangDE
	}
	var b bytes.Buffer
	if err := write(&b, format, lang); err != nil {
		web.WriteError(w, http.StatusInternalServerError, "report", err.Error())
		return
	}
	switch format {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	case "json":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	default:
		web.SecureHTML(w.Header(), web.DocumentCSP)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b.Bytes())
}

func (s *Server) personName(id string) string {
	if p, ok := s.config().Person(id); ok {
		return p.Name
	}
	return id
}

// HistoryPlans describes the configured call trees for the exercise history.
func HistoryPlans(cfg *config.Config) []report.HistoryPlan {
	var out []report.HistoryPlan
	for i := range cfg.CallTrees {
		tree := &cfg.CallTrees[i]
		hp := report.HistoryPlan{Org: tree.Organisation, Tree: tree.ID, Functions: map[string][]string{}}
		tree.Walk(func(n, _ *config.Node) {
			hp.Functions[n.Function] = append(hp.Functions[n.Function], append([]string{n.Person}, n.Deputies...)...)
		})
		out = append(out, hp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tree < out[j].Tree })
	return out
}
