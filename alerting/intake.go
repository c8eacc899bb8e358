package alerting

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/config"
)

// Options configure the intake.
type Options struct {
	Config *config.Config
	JS     jetstream.JetStream
	Layout engine.Layout
	Logger *slog.Logger
	// Metrics counts quarantined declarations (nil: not counted).
	Metrics *engine.Metrics
	// DeclarerRates bound each NATS declarer identity (zero: DefaultDeclarerRates).
	DeclarerRates DeclarerRates
}

// Intake turns declarations into incidents exactly once.
type Intake struct {
	opts   Options
	log    *slog.Logger
	ids    jetstream.KeyValue // client id → incident id
	recent jetstream.KeyValue // payload hash → incident id (1 h)
	state  jetstream.KeyValue // incident counter
	events jetstream.Stream   // the event log, to check the counter against
	cfg    atomic.Pointer[config.Config]
	limits declarerLimits
	quiet  *logThrottle // refusals of other systems' input
}

// SetConfig makes cfg (validated) the configuration of new declarations; a
// reload calls it. Declared incidents keep the plans taken from the old one.
func (i *Intake) SetConfig(cfg *config.Config) { i.cfg.Store(cfg) }

// Config is the configuration new declarations are resolved against.
func (i *Intake) Config() *config.Config { return i.cfg.Load() }

// Result is the outcome of a declaration.
type Result struct {
	IncidentID string `json:"incident_id"`
	// Duplicate is true when the declaration was seen before and nothing new was created.
	Duplicate bool   `json:"duplicate,omitempty"`
	InputSeq  uint64 `json:"-"`
}

// New opens the intake's buckets (the layout must have been ensured).
func New(ctx context.Context, opts Options) (*Intake, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	i := &Intake{opts: opts, log: opts.Logger, limits: newDeclarerLimits(opts.DeclarerRates, nil), quiet: newLogThrottle(nil)}
	i.cfg.Store(opts.Config)
	var err error
	for _, b := range []struct {
		name string
		kv   *jetstream.KeyValue
	}{{opts.Layout.IntakeBucket(), &i.ids}, {opts.Layout.RecentBucket(), &i.recent}, {opts.Layout.StateBucket(), &i.state}} {
		if *b.kv, err = opts.JS.KeyValue(ctx, b.name); err != nil {
			return nil, fmt.Errorf("alerting: bucket %s: %w", b.name, err)
		}
	}
	if i.events, err = opts.JS.Stream(ctx, opts.Layout.EventsStream()); err != nil {
		return nil, fmt.Errorf("alerting: events stream: %w", err)
	}
	return i, nil
}

// Declare validates, deduplicates, allocates the incident id and hands the
// declaration to the engine. source is nats, api or cli. raw, when set, is
// the payload as received; declarations without a client id are
// deduplicated by its hash for an hour (a double click or a request that
// also reached the stream), while the incident they made is open.
func (i *Intake) Declare(ctx context.Context, d Declaration, source string, raw []byte) (Result, error) {
	return i.declare(ctx, d, source, raw, "")
}

// declare is Declare with the client ids and payloads of one declarer
// identity (scope) kept apart from everyone else's: another system's id
// neither suppresses a declaration nor learns its incident id.
func (i *Intake) declare(ctx context.Context, d Declaration, source string, raw []byte, scope string) (Result, error) {
	return i.declareWith(ctx, d, source, raw, scope, nil)
}

// declareWith is declare; confirm, when set, makes it the confirmation of a proposal.
func (i *Intake) declareWith(ctx context.Context, d Declaration, source string, raw []byte, scope string, confirm *activation.ProposalDecision) (Result, error) {
	res, err := Resolve(i.Config(), d)
	if err != nil {
		return Result{}, err
	}
	bucket, key := i.ids, ""
	switch {
	case d.ID != "":
		key = "id-" + hashKey([]byte(scope+d.ID))
	case raw != nil:
		bucket, key = i.recent, "raw-"+hashKey(append([]byte(scope), raw...))
	}
	var id string
	if key == "" {
		if id, err = i.nextID(ctx); err != nil {
			return Result{}, err
		}
	} else {
		var dup bool
		if bucket == i.recent {
			id, dup, err = i.claimWhileOpen(ctx, key)
		} else {
			id, dup, err = i.claim(ctx, bucket, key)
		}
		if err != nil {
			return Result{}, err
		}
		if dup {
			// Seen before; make sure the engine has it (a crash may have come
			// between the key and the input), then report the existing id.
			seq, err := i.submit(ctx, id, res, source, confirm)
			return Result{IncidentID: id, Duplicate: true, InputSeq: seq}, err
		}
	}
	seq, err := i.submit(ctx, id, res, source, confirm)
	if err != nil {
		return Result{}, err
	}
	i.log.Info("incident declared", "incident", id, "scenario", res.Declared.Scenario, "severity", res.Declared.Severity,
		"exercise", res.Declared.Exercise, "by", res.Declared.DeclaredBy, "source", source, "organisations", len(res.Plans))
	return Result{IncidentID: id, InputSeq: seq}, nil
}

func (i *Intake) submit(ctx context.Context, id string, res Resolved, source string, confirm *activation.ProposalDecision) (uint64, error) {
	decl := res.Declared
	decl.ID, decl.ReplyCode, decl.Source = id, id, source
	if decl.DeclaredAt.IsZero() {
		decl.DeclaredAt = time.Now().UTC()
	}
	seq, err := engine.SubmitInput(ctx, i.opts.JS, i.opts.Layout,
		activation.Input{Incident: id, Declare: &decl, Plans: res.Plans, Confirm: confirm}, "declare-"+id)
	if err != nil {
		return 0, unavailable(err)
	}
	return seq, nil
}

const pending = "pending"

// claim reserves a dedup key before an id is allocated, so two paths that
// see the same declaration (a request that also reached the stream, two
// instances) never allocate two ids. dup reports an existing incident.
func (i *Intake) claim(ctx context.Context, kv jetstream.KeyValue, key string) (id string, dup bool, err error) {
	rev, err := kv.Create(ctx, key, []byte(pending))
	if err == nil {
		if id, err = i.nextID(ctx); err != nil {
			return "", false, err
		}
		if _, err := kv.Update(ctx, key, []byte(id), rev); err != nil {
			return "", false, unavailable(err)
		}
		return id, false, nil
	}
	if !errors.Is(err, jetstream.ErrKeyExists) {
		return "", false, unavailable(err)
	}
	// Someone else holds it: wait for their id; take over a claim whose
	// holder died between claiming and allocating.
	for attempt := 0; ; attempt++ {
		e, err := kv.Get(ctx, key)
		if err != nil {
			return "", false, unavailable(err)
		}
		if v := string(e.Value()); v != pending {
			return v, true, nil
		}
		if attempt == 100 {
			if id, err = i.nextID(ctx); err != nil {
				return "", false, err
			}
			if _, err := kv.Update(ctx, key, []byte(id), e.Revision()); err == nil {
				return id, false, nil
			}
			attempt = 0
		}
		select {
		case <-ctx.Done():
			return "", false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// claimWhileOpen is claim for a payload hash: it names an earlier incident
// only while that is open. Once it was stood down the same bytes are a new
// alarm, so the key is taken over (compare-and-delete, then claim anew).
func (i *Intake) claimWhileOpen(ctx context.Context, key string) (id string, dup bool, err error) {
	for attempt := 0; attempt < 5; attempt++ {
		if id, dup, err = i.claim(ctx, i.recent, key); err != nil || !dup {
			return id, dup, err
		}
		closed, err := i.stoodDown(ctx, id)
		if err != nil || !closed {
			return id, dup, err
		}
		e, err := i.recent.Get(ctx, key)
		if err == nil && string(e.Value()) == id {
			// Losing this race to another taker is fine: claim then waits for its id.
			_ = i.recent.Delete(ctx, key, jetstream.LastRevision(e.Revision()))
		}
	}
	return "", false, errorf(CodeUnavailable, "declaration contended; try again")
}

// stoodDown reports whether the event log holds the stand-down of incident id.
func (i *Intake) stoodDown(ctx context.Context, id string) (bool, error) {
	return i.logged(ctx, id, activation.KindStoodDown)
}

// logged reports whether the event log holds an event of kind for incident id.
func (i *Intake) logged(ctx context.Context, id, kind string) (bool, error) {
	_, err := i.events.GetLastMsgForSubject(ctx, i.opts.Layout.EventSubject(id, kind))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return false, nil
	case err != nil:
		return false, unavailable(err)
	}
	return true, nil
}

// nextID allocates K1, K2, … with compare-and-set on a counter, so ids stay
// short enough to type as SMS reply codes and unique across instances.
//
// The counter is a convenience; the event log is the record. An id the log
// already declared is skipped (and the counter moved past it), so a counter
// lost or restored from an older backup than the log never hands out an
// incident's id a second time — its declaration would be refused as a
// duplicate and the caller told the id of the old incident.
func (i *Intake) nextID(ctx context.Context) (string, error) {
	const key = "incident-counter"
	for attempt := 0; attempt < 100; attempt++ {
		var n uint64
		var rev uint64
		e, err := i.state.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return "", unavailable(err)
		default:
			if n, err = strconv.ParseUint(string(e.Value()), 10, 64); err != nil {
				return "", fmt.Errorf("alerting: corrupt incident counter %q: %w", e.Value(), err)
			}
			rev = e.Revision()
		}
		n++
		taken, err := i.declared(ctx, n)
		if err != nil {
			return "", err
		}
		value := []byte(strconv.FormatUint(n, 10))
		if rev == 0 {
			_, err = i.state.Create(ctx, key, value)
		} else {
			_, err = i.state.Update(ctx, key, value, rev)
		}
		switch {
		case errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch):
			continue // another instance allocated meanwhile
		case err != nil:
			return "", unavailable(err)
		case taken:
			i.log.Warn("incident counter was behind the event log; skipping an id it already declared", "incident", "K"+string(value))
			attempt = 0 // progress, not contention
			continue
		}
		return "K" + string(value), nil
	}
	return "", errorf(CodeUnavailable, "incident counter contended; try again")
}

// declared reports whether the event log holds a declaration of incident Kn.
func (i *Intake) declared(ctx context.Context, n uint64) (bool, error) {
	return i.logged(ctx, "K"+strconv.FormatUint(n, 10), activation.KindDeclared)
}

func hashKey(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:16])
}

func unavailable(err error) error {
	return &Error{Code: CodeUnavailable, Message: "NATS unavailable: " + err.Error(), Err: fmt.Errorf("%w: %w", engine.ErrUnavailable, err)}
}

// ServeNATS answers requests on the declare subjects (Kaskade's own and
// every declarer's) and processes every declaration persisted in the
// declare stream (plain publishes included), until ctx ends.
func (i *Intake) ServeNATS(ctx context.Context) error {
	answer := func(m *nats.Msg) {
		received := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		res, err := i.answer(rctx, m.Subject, m.Data, received)
		_ = m.Respond(replyJSON(res, err))
	}
	return i.serveStream(ctx, i.opts.Layout.DeclareSubject(), i.opts.Layout.DeclarersFilter(), answer, i.opts.Layout.DeclareStream(), "declare", func(m jetstream.Msg) {
		if _, err := Parse(m.Data()); err != nil {
			i.quarantine(engine.QuarantineDeclare, m, err)
			return
		}
		res, err := i.handleRaw(ctx, m.Subject(), m.Data())
		var e *Error
		switch {
		case err != nil && ctx.Err() != nil:
			// Stopping mid-declaration: not refused, back to the stream for the next instance or start.
			_ = m.Nak()
		case err == nil:
			_ = m.Ack()
			if !res.Duplicate {
				i.log.Info("declaration from the stream processed", "incident", res.IncidentID)
			}
		case errors.As(err, &e) && e.Code == CodeUnavailable:
			_ = m.NakWithDelay(time.Second)
		default:
			// Invalid declarations stay in the declare stream as received; they are logged, not retried.
			i.warnThrottled("rejected:"+m.Subject(), "declaration rejected", "subject", m.Subject(), "err", clip(err.Error(), 200))
			_ = m.Ack()
		}
	})
}

// quarantine terminates an undecodable message of stream (declare or
// warnings): logged with its sequence and error code (not its content;
// once a minute per sender, with the count held back), counted, never retried.
func (i *Intake) quarantine(stream string, m jetstream.Msg, err error) {
	var seq uint64
	if meta, merr := m.Metadata(); merr == nil {
		seq = meta.Sequence.Stream
	}
	i.opts.Metrics.Quarantined(stream)
	if ok, n := i.quiet.allow("quarantine:" + m.Subject()); ok {
		i.log.Error("message quarantined: skipped, never applied", "stream", stream, "seq", seq, "code", AsError(err).Code,
			"subject", m.Subject(), "held_back", n)
	}
	_ = m.Term()
}

// handleRaw declares what arrived on subject. A declarer's identity comes
// from the subject (NATS let only that identity publish there), never from
// the payload: source "nats:<name>", declared_by "<name>: <as declared>".
func (i *Intake) handleRaw(ctx context.Context, subject string, data []byte) (Result, error) {
	d, err := Parse(data)
	if err != nil {
		return Result{}, err
	}
	name := i.opts.Layout.Declarer(subject)
	if name == "" {
		return i.Declare(ctx, d, SourceNATS, data)
	}
	if err := i.declarerAllowed(ctx, name, d, data); err != nil {
		return Result{}, err
	}
	if by := strings.TrimSpace(d.DeclaredBy); by != "" {
		d.DeclaredBy = name + ": " + by
	}
	res, err := i.declare(ctx, d, SourceNATS+":"+name, data, name+"\x00")
	if err == nil && !res.Duplicate {
		b, _ := i.limits.bucket(d.Exercise)
		b.Take(name)
	}
	return res, err
}

// SourceNATS is the source of declarations over NATS; a declarer's carry
// its name after a colon.
const SourceNATS = "nats"

func replyJSON(res Result, err error) []byte {
	var v any = res
	if err != nil {
		v = map[string]*Error{"error": AsError(err)}
	}
	b, _ := json.Marshal(v)
	return b
}
