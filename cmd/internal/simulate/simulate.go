// Package simulate provides fictitious responders for demos, training and
// load: for exercise incidents only, each alerted person answers after a
// random delay through the real inbound paths — a signed Twilio webhook to
// Kaskade's own endpoint, or a POST to the one-click acknowledgement link.
// Real incidents are never answered.
package simulate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/answer/ack"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// Mix is the share of each simulated answer; silent people never answer.
type Mix struct {
	Available, Delayed, Unavailable, Silent int
}

// ParseMix reads "available=70,delayed=15,unavailable=10,silent=5".
func ParseMix(s string) (Mix, error) {
	var m Mix
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return m, fmt.Errorf("simulate: mix %q: use kind=percent, e.g. available=70", part)
		}
		switch k {
		case "available":
			m.Available = n
		case "delayed":
			m.Delayed = n
		case "unavailable":
			m.Unavailable = n
		case "silent":
			m.Silent = n
		default:
			return m, fmt.Errorf("simulate: unknown answer %q in mix", k)
		}
	}
	if m.Available+m.Delayed+m.Unavailable+m.Silent == 0 {
		return m, errors.New("simulate: the mix is empty")
	}
	return m, nil
}

// ParseDelay reads "20s-5m" (uniform between the two).
func ParseDelay(s string) (lo, hi time.Duration, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		b = a
	}
	if lo, err = time.ParseDuration(strings.TrimSpace(a)); err == nil {
		hi, err = time.ParseDuration(strings.TrimSpace(b))
	}
	if err != nil || lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("simulate: delay %q: use MIN-MAX such as 20s-5m", s)
	}
	return lo, hi, nil
}

// Engine is the read side the simulator needs.
type Engine interface {
	View(f func(c *activation.Core))
}

// opener is an Engine that opens sealed event fields.
type opener interface {
	Open(ctx context.Context, ev *activation.Event)
}

// Options configure a Simulator.
type Options struct {
	NC      *nats.Conn
	Subject string // notification requests, e.g. kaskade.events.*.notification_requested.>
	// Packs is the subject of packs that hold requests (kaskade.events.*.pack.>).
	Packs  string
	Engine Engine
	Config *config.Config
	// BaseURL is where Kaskade listens (loopback); PublicURL what signatures are computed for.
	BaseURL, PublicURL string
	// TwilioToken, when set, lets SMS alerts be answered by signed webhooks.
	TwilioToken string
	// Signer answers other channels through ack links.
	Signer   *ack.Signer
	Mix      Mix
	DelayMin time.Duration
	DelayMax time.Duration
	Rand     *rand.Rand
	Logger   *slog.Logger
	Client   *http.Client
}

// Simulator answers exercise alerts.
type Simulator struct {
	opts    Options
	mu      sync.Mutex
	planned map[string]bool // incident/person already scheduled
	wg      sync.WaitGroup
}

// New returns a Simulator.
func New(opts Options) *Simulator {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Rand == nil {
		opts.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 15 * time.Second}
	}
	return &Simulator{opts: opts, planned: map[string]bool{}}
}

// Run listens for alerts until ctx ends.
func (s *Simulator) Run(ctx context.Context) error {
	handle := func(m *nats.Msg) {
		var ev activation.Event
		if json.Unmarshal(m.Data, &ev) != nil {
			return
		}
		for _, ev := range ev.Unpacked() {
			if ev.Notification == nil || ev.Notification.Purpose != notifiers.PurposeAlert {
				continue
			}
			if o, ok := s.opts.Engine.(opener); ok {
				o.Open(ctx, &ev) // personal fields are sealed in the log
			}
			s.plan(ctx, ev.Incident, *ev.Notification)
		}
	}
	sub, err := s.opts.NC.Subscribe(s.opts.Subject, handle)
	if err != nil {
		return fmt.Errorf("simulate: subscribe: %w", err)
	}
	if s.opts.Packs != "" {
		packs, err := s.opts.NC.Subscribe(s.opts.Packs, handle)
		if err != nil {
			_ = sub.Unsubscribe()
			return fmt.Errorf("simulate: subscribe: %w", err)
		}
		defer func() { _ = packs.Unsubscribe() }()
	}
	s.opts.Logger.Warn("simulated responders are answering exercise alerts (never real incidents)")
	<-ctx.Done()
	_ = sub.Unsubscribe()
	s.wg.Wait()
	return nil
}

func (s *Simulator) plan(ctx context.Context, incident string, n activation.Notification) {
	key := incident + "/" + n.Person
	s.mu.Lock()
	if s.planned[key] {
		s.mu.Unlock()
		return
	}
	s.planned[key] = true
	answer, minutes := s.draw()
	delay := s.opts.DelayMin
	if span := s.opts.DelayMax - s.opts.DelayMin; span > 0 {
		delay += time.Duration(s.opts.Rand.Int64N(int64(span)))
	}
	s.mu.Unlock()
	if answer == "" {
		return // silent
	}
	s.wg.Go(func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		if err := s.answer(ctx, incident, n, answer, minutes); err != nil {
			s.opts.Logger.Info("simulated answer not given", "incident", incident, "person", n.Person, "reason", err)
		}
	})
}

func (s *Simulator) draw() (string, int) {
	m := s.opts.Mix
	x := s.opts.Rand.IntN(m.Available + m.Delayed + m.Unavailable + m.Silent)
	switch {
	case x < m.Available:
		return "available", 0
	case x < m.Available+m.Delayed:
		return "delayed", 5 * (1 + s.opts.Rand.IntN(12))
	case x < m.Available+m.Delayed+m.Unavailable:
		return "unavailable", 0
	}
	return "", 0
}

// errReal refuses to answer anything but an open exercise.
var errReal = errors.New("not an open exercise (simulation answers exercises only)")

func (s *Simulator) answer(ctx context.Context, incident string, n activation.Notification, kind string, minutes int) error {
	open := false
	s.opts.Engine.View(func(c *activation.Core) {
		d, ok := c.Declaration(incident)
		open = ok && d.Exercise && !c.Closed(incident)
	})
	if !open {
		return errReal
	}
	p, ok := s.opts.Config.Person(n.Person)
	if !ok {
		return fmt.Errorf("unknown person %s", n.Person)
	}
	if n.Channel == config.ChannelSMS && s.opts.TwilioToken != "" && p.Mobile != "" {
		body := map[string]string{"available": "1", "unavailable": "3"}[kind]
		if kind == "delayed" {
			body = fmt.Sprintf("2 %d", minutes)
		}
		return s.sms(ctx, p.Mobile, body+" "+incident)
	}
	if s.opts.Signer == nil {
		return errors.New("no ack signer")
	}
	tok := s.opts.Signer.Sign(ack.Claims{Incident: incident, Person: n.Person, Org: n.Org, Notification: n.ID})
	form := url.Values{"answer": {kind}}
	if kind == "delayed" {
		form.Set("minutes", strconv.Itoa(nearestChoice(minutes)))
	}
	return s.post(ctx, s.opts.BaseURL+"/ack/"+tok, form, nil)
}

// nearestChoice maps minutes to the ack page's choices.
func nearestChoice(m int) int {
	best := 15
	for _, c := range []int{15, 30, 45, 60, 90, 120} {
		if abs(c-m) < abs(best-m) {
			best = c
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// sms posts an inbound SMS signed like Twilio does.
func (s *Simulator) sms(ctx context.Context, from, body string) error {
	const path = "/webhooks/twilio/sms"
	form := url.Values{"From": {from}, "To": {"+15005550006"}, "Body": {body},
		"MessageSid": {fmt.Sprintf("SMsim%016x%016x", rand.Uint64(), rand.Uint64())}, "NumMedia": {"0"}}
	sig := twilio.Signature(s.opts.TwilioToken, strings.TrimRight(s.opts.PublicURL, "/")+path, form)
	return s.post(ctx, s.opts.BaseURL+path, form, http.Header{"X-Twilio-Signature": {sig}})
}

func (s *Simulator) post(ctx context.Context, target string, form url.Values, h http.Header) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s answered %s", target, resp.Status)
	}
	return nil
}
