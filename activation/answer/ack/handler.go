package ack

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/web"
)

// maxFormBytes caps a POST body; the form has two short fields.
const maxFormBytes = 4 << 10

// HandlerOptions configure NewHandler.
type HandlerOptions struct {
	Signer *Signer
	Sink   Sink
	Logger *slog.Logger
	// Now is used for display only (token expiry is checked by Signer).
	Now func() time.Time
	// Location formats times on the page (default time.Local).
	Location *time.Location
}

type handler struct {
	signer *Signer
	sink   Sink
	log    *slog.Logger
	now    func() time.Time
	loc    *time.Location
	pages  pages
	// Invalid tokens (anyone can send them) are logged a few times a minute.
	rejectLog  *web.Buckets
	suppressed atomic.Int64
}

// NewHandler serves GET and POST /ack/{token}; register it as "/ack/{token}".
// GET shows the incident and the answer buttons and records nothing; POST
// (form fields answer and minutes) records through Sink.Record.
func NewHandler(opts HandlerOptions) http.Handler {
	h := &handler{signer: opts.Signer, sink: opts.Sink, log: opts.Logger, now: opts.Now, loc: opts.Location, pages: newPages()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.loc == nil {
		h.loc = time.Local
	}
	h.rejectLog = web.NewBuckets(5, 12*time.Second, h.now)
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	setSecurityHeaders(w.Header(), nonce)
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.bilingual(w, nonce, http.StatusMethodNotAllowed, "error", func(t texts) notice {
			return notice{Heading: t.BadAnswer}
		})
		return
	}
	c, err := h.signer.Verify(r.PathValue("token"))
	if err != nil {
		h.tokenError(w, r, nonce, c, err)
		return
	}
	ctx := r.Context()
	st, err := h.sink.Current(ctx, c)
	if err != nil {
		h.sinkError(w, r, nonce, c, "current", err)
		return
	}
	if !st.Known {
		h.log.InfoContext(ctx, "ack: foreign token", "incident", c.Incident, "person", c.Person)
		h.bilingual(w, nonce, http.StatusNotFound, "error", func(t texts) notice {
			return notice{Heading: t.Unknown, Detail: t.UnknownDetail}
		})
		return
	}
	t := textsFor(st.Language)
	if !st.Open {
		code := http.StatusOK
		if r.Method == http.MethodPost {
			code = http.StatusConflict
		}
		h.over(w, nonce, code, st, t)
		return
	}
	if r.Method != http.MethodPost {
		h.show(w, r, nonce, http.StatusOK, st, t, nil)
		return
	}
	h.record(w, r, nonce, c, st, t)
}

func (h *handler) record(w http.ResponseWriter, r *http.Request, nonce string, c Claims, st Status, t texts) {
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	kind, minutes, ok := parseAnswer(r)
	if !ok {
		h.show(w, r, nonce, http.StatusBadRequest, st, t, &notice{Lang: t.Lang, Heading: t.BadAnswer, Detail: t.BadAnswerDetail})
		return
	}
	nst, err := h.sink.Record(ctx, c, kind, minutes)
	switch {
	case errors.Is(err, ErrClosed):
		h.over(w, nonce, http.StatusConflict, st, t)
		return
	case err != nil:
		h.sinkError(w, r, nonce, c, "record", err)
		return
	}
	h.log.InfoContext(ctx, "ack: answer recorded", "incident", c.Incident, "person", c.Person,
		"notification", c.Notification, "answer", kind, "minutes", minutes)
	if nst.Language == "" {
		nst.Language = st.Language
	}
	t = textsFor(nst.Language)
	answer := nst.Answer
	if answer == "" {
		answer = kind
	}
	saved := notice{Lang: t.Lang, Heading: t.Saved + " " + h.describe(t, answer, nst.ETA)}
	h.render(w, nonce, http.StatusOK, page{
		T: t, Exercise: nst.Exercise, Title: nst.IncidentTitle, Person: nst.PersonName,
		Tone: "ok", Notices: []notice{saved},
	})
}

// parseAnswer reads answer and minutes from the form body.
func parseAnswer(r *http.Request) (kind string, minutes int, ok bool) {
	if err := r.ParseForm(); err != nil {
		return "", 0, false
	}
	kind = r.PostForm.Get("answer")
	switch kind {
	case AnswerAvailable, AnswerUnavailable:
		return kind, 0, true
	case AnswerDelayed:
		m, err := strconv.Atoi(r.PostForm.Get("minutes"))
		if err != nil || !slices.Contains(delayChoices(), m) {
			return "", 0, false
		}
		return kind, m, true
	}
	return "", 0, false
}

// show renders the answer form with the current answer.
func (h *handler) show(w http.ResponseWriter, r *http.Request, nonce string, code int, st Status, t texts, n *notice) {
	pre := r.URL.Query().Get("answer")
	preMin, _ := strconv.Atoi(r.URL.Query().Get("minutes"))
	if r.Method == http.MethodPost {
		pre = r.PostForm.Get("answer")
	}
	if pre == "" {
		pre = st.Answer
	}
	if !slices.Contains(delayChoices(), preMin) {
		preMin = 30
	}
	f := &form{Action: r.URL.EscapedPath(), Preselect: pre}
	for _, m := range delayChoices() {
		f.Minutes = append(f.Minutes, minuteOption{Value: m, Selected: m == preMin})
	}
	p := page{T: t, Exercise: st.Exercise, Title: st.IncidentTitle, Person: st.PersonName, Tone: "info", Form: f}
	if n != nil {
		p.Tone = "error"
		p.Notices = []notice{*n}
	}
	if st.Answer != "" {
		p.Current = t.Current + " " + h.describe(t, st.Answer, st.ETA)
		if st.AnsweredAt != nil {
			p.Current += " (" + t.AnsweredAt + " " + st.AnsweredAt.In(h.loc).Format("15:04") + ")"
		}
	} else {
		p.Current = t.NoAnswer
	}
	h.render(w, nonce, code, p)
}

// describe names an answer, with the ETA for delayed answers.
func (h *handler) describe(t texts, kind string, eta *time.Time) string {
	s := t.answerLabel(kind)
	if kind == AnswerDelayed && eta != nil {
		s += fmt.Sprintf(" (%s %s)", t.ETA, eta.In(h.loc).Format("15:04"))
	}
	return s
}

func (h *handler) over(w http.ResponseWriter, nonce string, code int, st Status, t texts) {
	h.render(w, nonce, code, page{
		T: t, Exercise: st.Exercise, Title: st.IncidentTitle, Tone: "info",
		Notices: []notice{{Lang: t.Lang, Heading: t.Over, Detail: t.OverDetail}},
	})
}

func (h *handler) tokenError(w http.ResponseWriter, r *http.Request, nonce string, c Claims, err error) {
	if errors.Is(err, ErrExpired) {
		h.log.InfoContext(r.Context(), "ack: expired token", "incident", c.Incident, "person", c.Person)
		h.bilingual(w, nonce, http.StatusGone, "error", func(t texts) notice {
			return notice{Heading: t.Expired, Detail: t.ExpiredDetail}
		})
		return
	}
	if ok, _ := h.rejectLog.Take(""); ok {
		h.log.WarnContext(r.Context(), "ack: invalid token", "err", err, "remote", r.RemoteAddr,
			"suppressed_before", h.suppressed.Swap(0))
	} else {
		h.suppressed.Add(1)
	}
	h.bilingual(w, nonce, http.StatusBadRequest, "error", func(t texts) notice {
		return notice{Heading: t.Invalid, Detail: t.InvalidDetail}
	})
}

func (h *handler) sinkError(w http.ResponseWriter, r *http.Request, nonce string, c Claims, op string, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, ErrUnavailable) {
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	h.log.ErrorContext(r.Context(), "ack: sink failed", "op", op, "incident", c.Incident, "person", c.Person, "err", err)
	h.bilingual(w, nonce, code, "error", func(t texts) notice {
		return notice{Heading: t.Retry, Detail: t.RetryDetail}
	})
}

// bilingual renders a page in German and English, for when the person's
// language is not known.
func (h *handler) bilingual(w http.ResponseWriter, nonce string, code int, tone string, n func(texts) notice) {
	var ns []notice
	for _, lang := range []string{"de", "en"} {
		t := textsFor(lang)
		x := n(t)
		x.Lang = t.Lang
		ns = append(ns, x)
	}
	h.render(w, nonce, code, page{T: textsFor("de"), Tone: tone, Notices: ns})
}

func (h *handler) render(w http.ResponseWriter, nonce string, code int, p page) {
	p.Nonce = nonce
	var buf bytes.Buffer
	if err := h.pages.render(&buf, p); err != nil {
		h.log.Error("ack: render page", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

func setSecurityHeaders(hd http.Header, nonce string) {
	hd.Set("Cache-Control", "no-store")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+nonce+"'; "+
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
}

func newNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.RawStdEncoding.EncodeToString(b[:])
}

// Links returns the three answer links for a token. All of them open the
// same page (GET records nothing); the query only preselects a button.
func Links(base, token string) (available, delayed, unavailable string) {
	u := strings.TrimRight(base, "/") + "/ack/" + token + "?answer="
	return u + AnswerAvailable, u + AnswerDelayed, u + AnswerUnavailable
}
