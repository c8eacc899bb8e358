// Package engine runs the activation core on NATS JetStream: it creates the
// streams and buckets, replays the event log into a core, consumes inputs
// as the single writer of the log (fenced by expected sequence numbers),
// fires durable timers, dispatches notifications through the notifiers with
// an at-most-once claim per attempt, and fans changes out to live readers.
package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Layout names the subjects, streams and buckets for one subject prefix.
type Layout struct {
	Prefix   string // default "kaskade"
	Replicas int    // stream and bucket replicas (1 embedded, 3 in a cluster)
}

func (l Layout) prefix() string {
	if l.Prefix == "" {
		return "kaskade"
	}
	return l.Prefix
}

func (l Layout) name(suffix string) string {
	return strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(l.prefix())) + "_" + suffix
}

// Subjects and names.
func (l Layout) EventsStream() string   { return l.name("EVENTS") }
func (l Layout) InputStream() string    { return l.name("INPUT") }
func (l Layout) DeclareStream() string  { return l.name("DECLARE") }
func (l Layout) WarningsStream() string { return l.name("WARNINGS") }
func (l Layout) ClaimsBucket() string   { return l.name("CLAIMS") }
func (l Layout) IntakeBucket() string   { return l.name("INTAKE") }
func (l Layout) RecentBucket() string   { return l.name("INTAKE_RECENT") }
func (l Layout) StateBucket() string    { return l.name("STATE") }

// InboundSeenBucket remembers provider ids of inbound messages (Twilio
// MessageSid, email Message-ID) so a replay is recorded once.
func (l Layout) InboundSeenBucket() string { return l.name("INBOUND_SEEN") }

// InboundSeenTTL is how long an inbound provider id is remembered: beyond
// the 48 hours a replay must be refused for.
const InboundSeenTTL = 72 * time.Hour

// DeclareSubject is where declarations arrive from Kaskade's own identity.
func (l Layout) DeclareSubject() string { return l.prefix() + ".incidents.declare" }

// DeclarerSubject is kaskade.incidents.declare.<name>, the only subject a
// declarer identity may publish on: the intake takes its identity from it.
func (l Layout) DeclarerSubject(name string) string { return l.DeclareSubject() + "." + Token(name) }

// DeclarersFilter matches every declarer's subject.
func (l Layout) DeclarersFilter() string { return l.DeclareSubject() + ".*" }

// Declarer returns the declarer named by a declaration subject, or "" for
// the bare subject of Kaskade's own identity.
func (l Layout) Declarer(subject string) string {
	name, _ := strings.CutPrefix(subject, l.DeclareSubject()+".")
	if name == subject {
		return ""
	}
	return name
}

// CAPSubject is where Kaskade's own identity delivers CAP 1.2 warnings
// (XML); they become proposals, never alerts.
func (l Layout) CAPSubject() string { return l.prefix() + ".intake.cap" }

// CAPSenderSubject is kaskade.intake.cap.<name>, the only subject an
// intake identity may publish on: the proposal records it as the proposer.
func (l Layout) CAPSenderSubject(name string) string { return l.CAPSubject() + "." + Token(name) }

// CAPSendersFilter matches every intake identity's subject.
func (l Layout) CAPSendersFilter() string { return l.CAPSubject() + ".*" }

// CAPSender returns the intake identity named by a CAP subject, or "" for
// the bare subject of Kaskade's own identity.
func (l Layout) CAPSender(subject string) string {
	name, _ := strings.CutPrefix(subject, l.CAPSubject()+".")
	if name == subject {
		return ""
	}
	return name
}

// EventSubject is kaskade.events.<incident>.<kind>.
func (l Layout) EventSubject(incident, kind string) string {
	return l.prefix() + ".events." + Token(incident) + "." + kind
}

// EventsFilter matches every event.
func (l Layout) EventsFilter() string { return l.prefix() + ".events.>" }

// IncidentEventsFilter matches one incident's events.
func (l Layout) IncidentEventsFilter(incident string) string {
	return l.prefix() + ".events." + Token(incident) + ".>"
}

// EventSubjectOf is the subject an event is appended on: a notification
// request's carries its dispatch class,
// kaskade.events.<incident>.notification_requested.<class>, and so does a
// pack holding requests (kaskade.events.<incident>.pack.<class>); every
// other event's is EventSubject.
func (l Layout) EventSubjectOf(ev activation.Event) string {
	subject := l.EventSubject(ev.Incident, ev.Kind)
	class := ""
	switch {
	case ev.Kind == activation.KindNotification && ev.Notification != nil:
		class = ev.Notification.Class
	case ev.Kind == activation.KindPack:
		class = packRequestClass(ev)
	}
	if class != "" {
		subject += "." + Token(class)
	}
	return subject
}

// NotificationFilter matches the notification requests of every class.
func (l Layout) NotificationFilter() string { return l.prefix() + ".events.*.notification_requested.>" }

// NotificationClassFilter matches the notification requests of one class.
func (l Layout) NotificationClassFilter(class string) string {
	return l.prefix() + ".events.*.notification_requested." + Token(class)
}

// PackClassFilter matches the packs that hold requests of one class.
func (l Layout) PackClassFilter(class string) string {
	return l.prefix() + ".events.*." + activation.KindPack + "." + Token(class)
}

// PackFilter matches the packs that hold requests, of every class.
func (l Layout) PackFilter() string { return l.prefix() + ".events.*." + activation.KindPack + ".>" }

// LegacyNotificationFilter matches notification requests written before
// classes existed (no class token); they are dispatched as ClassFirst.
func (l Layout) LegacyNotificationFilter() string {
	return l.prefix() + ".events.*.notification_requested"
}

// InputFilter matches every input.
func (l Layout) InputFilter() string { return l.prefix() + ".input.>" }

// InputSubject is kaskade.input.<incident>.<kind>.
func (l Layout) InputSubject(incident, kind string) string {
	return l.prefix() + ".input." + Token(incident) + "." + kind
}

// ReadinessSubject is kaskade.readiness.<incident>.<org>.
func (l Layout) ReadinessSubject(incident, org string) string {
	return l.prefix() + ".readiness." + Token(incident) + "." + Token(org)
}

// ReadinessFilter matches the whole readiness feed.
func (l Layout) ReadinessFilter() string { return l.prefix() + ".readiness.>" }

// Token makes a string safe as one subject token.
func Token(s string) string {
	if s == "" {
		return "_"
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '*' || r == '>' || r <= ' ' {
			return '_'
		}
		return r
	}, s)
}

// Ensure creates or updates every stream and bucket Kaskade needs. In a
// cluster several instances may start at once and the meta leader may be
// changing, so it retries for a while.
func (l Layout) Ensure(ctx context.Context, js jetstream.JetStream) error {
	return retryForming(ctx, func() error { return l.ensure(ctx, js) })
}

// retryForming retries f for about 27 s while a cluster forms or elects.
func retryForming(ctx context.Context, f func() error) error {
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if err = f(); err == nil || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt+1) * 500 * time.Millisecond):
		}
	}
	return err
}

// Bounds of what other systems publish, kept as received in the declare
// and warnings streams: their identities may publish as much as the server
// takes (8 MiB embedded) as fast as it takes it, and the streams share the
// disk with the event log. A larger message is not stored (the intake
// answers a request with too_long); beyond KeepPerSender messages on one
// sender's subject its oldest go (the event log holds what they decided).
const (
	MaxDeclarationBytes = 64 << 10  // as the API's request body
	MaxWarningBytes     = 512 << 10 // DWD CAP documents with area polygons
	KeepPerSender       = 10_000
)

// minDuplicates is the shortest duplicate window JetStream accepts (0
// means its default of 2 minutes).
const minDuplicates = 100 * time.Millisecond

func (l Layout) ensure(ctx context.Context, js jetstream.JetStream) error {
	r := max(l.Replicas, 1)
	streams := []jetstream.StreamConfig{
		// The record refuses deletes and purges through the API (no identity may
		// thin it out); the work-queue input stream cannot, JetStream removes
		// its acknowledged messages. The log is fenced by expected sequences
		// and carries no message ids, so its duplicate window is the shortest
		// allowed: a server recovering the stream reads every message of the
		// window again. Inputs keep 2 minutes: their ids make a retried
		// submission count once.
		{Name: l.EventsStream(), Subjects: []string{l.EventsFilter()}, Storage: jetstream.FileStorage, Replicas: r,
			Retention: jetstream.LimitsPolicy, Duplicates: minDuplicates, DenyDelete: true, DenyPurge: true,
			AllowAtomicPublish: true, Description: "Kaskade event log (system of record)"},
		{Name: l.InputStream(), Subjects: []string{l.InputFilter()}, Storage: jetstream.FileStorage, Replicas: r,
			Retention: jetstream.WorkQueuePolicy, Duplicates: 2 * time.Minute, Description: "Kaskade inputs for the engine"},
		// NoAck: a request on the declare subject must be answered by Kaskade, not by the stream.
		{Name: l.DeclareStream(), Subjects: []string{l.DeclareSubject(), l.DeclarersFilter()}, Storage: jetstream.FileStorage, Replicas: r,
			Retention: jetstream.LimitsPolicy, MaxAge: 30 * 24 * time.Hour, NoAck: true, DenyDelete: true, DenyPurge: true,
			MaxMsgSize: MaxDeclarationBytes, MaxMsgsPerSubject: KeepPerSender, Description: "Kaskade declarations as published"},
		{Name: l.WarningsStream(), Subjects: []string{l.CAPSubject(), l.CAPSendersFilter()}, Storage: jetstream.FileStorage, Replicas: r,
			Retention: jetstream.LimitsPolicy, MaxAge: 30 * 24 * time.Hour, NoAck: true, DenyDelete: true, DenyPurge: true,
			MaxMsgSize: MaxWarningBytes, MaxMsgsPerSubject: KeepPerSender, Description: "Kaskade warnings (CAP) as published"},
	}
	for _, sc := range streams {
		if _, err := js.CreateOrUpdateStream(ctx, sc); err != nil {
			return fmt.Errorf("engine: stream %s: %w", sc.Name, err)
		}
	}
	buckets := []jetstream.KeyValueConfig{
		{Bucket: l.ClaimsBucket(), Replicas: r, Storage: jetstream.FileStorage, Description: "at-most-once claims per notification attempt"},
		{Bucket: l.IntakeBucket(), Replicas: r, Storage: jetstream.FileStorage, Description: "declaration client ids → incident ids"},
		{Bucket: l.RecentBucket(), Replicas: r, Storage: jetstream.FileStorage, TTL: time.Hour, Description: "recent declarations without client id"},
		{Bucket: l.StateBucket(), Replicas: r, Storage: jetstream.FileStorage, Description: "counters and leases"},
		{Bucket: l.InboundSeenBucket(), Replicas: r, Storage: jetstream.FileStorage, TTL: InboundSeenTTL,
			Description: "inbound provider ids already recorded (replay protection)"},
	}
	for _, kc := range buckets {
		if _, err := js.CreateOrUpdateKeyValue(ctx, kc); err != nil {
			return fmt.Errorf("engine: bucket %s: %w", kc.Bucket, err)
		}
	}
	// Buckets are written by create, update (expected revision) and put,
	// never with message ids; the keys and snapshot buckets are made on
	// first use, so they are shortened from the next start on.
	short := []string{"KV_" + l.KeysBucket(), "OBJ_" + l.SnapshotBucket()}
	for _, kc := range buckets {
		short = append(short, "KV_"+kc.Bucket)
	}
	for _, name := range short {
		if err := shortenDuplicates(ctx, js, name); err != nil {
			return err
		}
	}
	return nil
}

// shortenDuplicates sets a stream's duplicate window to minDuplicates (a
// KV bucket or object store gets 2 minutes from nats.go): a recovering
// server reads and decrypts every message of the window again (the inbound
// ids of a busy minute, the final snapshot after a clean stop). A stream
// that does not exist yet is left alone.
func shortenDuplicates(ctx context.Context, js jetstream.JetStream, name string) error {
	stream, err := js.Stream(ctx, name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: stream %s: %w", name, err)
	}
	cfg := stream.CachedInfo().Config
	if cfg.Duplicates == minDuplicates {
		return nil
	}
	cfg.Duplicates = minDuplicates
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("engine: stream %s: %w", name, err)
	}
	return nil
}
