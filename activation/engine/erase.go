package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// Erasure (Art. 17 DSGVO) shreds a person's key: every field sealed with it
// — in the log, in backups, in copies — is unreadable from then on, while
// the log stays append-only and its hash chain intact (the chain covers
// the sealed bytes). The leader decides an erase input: it shreds the key,
// drops the snapshots (they hold the plaintext), appends person_erased
// (who, why, when; never the person) and rebuilds from the log.

// errRebuild ends a run so that the engine replays the log afresh (after
// keys were shredded: the projection still holds their plaintext).
var errRebuild = errors.New("engine: personal data shredded; rebuilding from the log")

// ErasePerson erases a person's sealed data and waits until this
// instance's projection no longer holds it. by names who asked (token
// name), reason why; neither may name the person. It returns the person's
// pseudonym in the log ("" when nothing of theirs was sealed).
func (e *Engine) ErasePerson(ctx context.Context, person, by, reason string) (string, error) {
	// From the bucket: this instance's cache may predate the person's key.
	refs, err := e.keys.personRefs(ctx, person)
	if err != nil {
		return "", err
	}
	ref := ""
	if len(refs) > 0 {
		ref = refs[0] // the leader shreds the person's other keys with it
	}
	// The input carries the pseudonym, not the person.
	in := activation.Input{Incident: "_", Erase: &activation.Erasure{Ref: ref, By: by, Reason: reason}}
	data, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("engine: encode erasure: %w", err)
	}
	msg := nats.NewMsg(e.opts.Layout.InputSubject("_", "erase"))
	msg.Data = data
	ack, err := e.opts.JS.PublishMsg(ctx, msg)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if err := e.WaitInput(ctx, ack.Sequence); err != nil {
		return "", err
	}
	return ref, nil
}

// PersonKnown reports whether the log may hold sealed data of person: a
// key of theirs exists (read from the bucket, as ErasePerson does).
func (e *Engine) PersonKnown(ctx context.Context, person string) (bool, error) {
	refs, err := e.keys.personRefs(ctx, person)
	if err != nil {
		return false, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return len(refs) > 0, nil
}

// decideErase shreds the key of an erase input and returns its record.
func (e *Engine) decideErase(ctx context.Context, in activation.Input) (activation.Event, error) {
	er := *in.Erase
	if er.Ref != "" {
		names, err := e.personKeys(ctx, er.Ref)
		if err != nil {
			return activation.Event{}, err
		}
		if err := e.keys.shred(ctx, names...); err != nil {
			return activation.Event{}, err
		}
	}
	// Not even the pseudonym is recorded: it would link the erasure to
	// the person's stand-ins.
	er.Person, er.Ref = "", ""
	if err := e.dropSnapshots(ctx); err != nil {
		return activation.Event{}, err
	}
	return activation.Event{V: activation.SchemaVersion, Incident: "", Kind: activation.KindPersonErased,
		At: e.opts.Now(), Input: in.Seq, Erased: &er}, nil
}

// personKeys names every key of the person whose key is p.<ref>, read
// from the bucket: a take-over before keys were reloaded on taking over
// may have given the person more than one.
func (e *Engine) personKeys(ctx context.Context, ref string) ([]string, error) {
	person, err := e.keys.personOf(ctx, ref)
	if err != nil || person == "" {
		return []string{"p." + ref}, err
	}
	refs, err := e.keys.personRefs(ctx, person)
	if err != nil {
		return nil, err
	}
	names := []string{"p." + ref}
	for _, r := range refs {
		if r != ref {
			names = append(names, "p."+r)
		}
	}
	return names, nil
}

// dropSnapshots removes every snapshot for good (the object store's
// stream is purged whole, which removes its files); the rebuild stores a
// new one without the shredded data. Also with snapshots off (-1): an
// earlier run may have stored some.
func (e *Engine) dropSnapshots(ctx context.Context) error {
	e.snap.uploads.Wait() // an upload in flight would land after the purge
	e.snap.force = true
	stream, err := e.opts.JS.Stream(ctx, "OBJ_"+e.opts.Layout.SnapshotBucket())
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: snapshot stream: %w", err)
	}
	if err := stream.Purge(ctx); err != nil {
		return fmt.Errorf("engine: drop snapshots: %w", err)
	}
	e.snap.stored.Store(0)
	return nil
}

// shreddingEvent reports whether an event means keys were shredded, so
// a follower's projection must be rebuilt.
func shreddingEvent(ev activation.Event) bool {
	return ev.Kind == activation.KindPersonErased || ev.Kind == activation.KindRetention
}

// ForgetInboundSeen removes the replay-protection entries whose answer
// text contains any of needles (the person's name, id, number, address).
// The bucket refuses single deletes and a purged message's bytes stay in
// its file, so the bucket's stream is purged whole (its files go) and the
// other entries are put back (with a fresh 72 h lifetime). A crash in
// between only forgets replays, which are then recorded once more.
func (e *Engine) ForgetInboundSeen(ctx context.Context, needles []string) (int, error) {
	needles = asConfirmed(needles)
	kv, err := e.InboundSeen(ctx)
	if err != nil {
		return 0, err
	}
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return 0, fmt.Errorf("engine: inbound seen: %w", err)
	}
	keep := map[string][]byte{}
	hits := 0
	for entry := range w.Updates() {
		if entry == nil {
			break
		}
		if containsAny(string(entry.Value()), needles) {
			hits++
		} else {
			keep[entry.Key()] = entry.Value()
		}
	}
	w.Stop()
	if hits == 0 {
		return 0, nil
	}
	stream, err := e.opts.JS.Stream(ctx, "KV_"+e.opts.Layout.InboundSeenBucket())
	if err != nil {
		return 0, fmt.Errorf("engine: inbound seen stream: %w", err)
	}
	if err := stream.Purge(ctx); err != nil {
		return 0, fmt.Errorf("engine: inbound seen: %w", err)
	}
	for key, value := range keep {
		if _, err := kv.Create(ctx, key, value); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return hits, fmt.Errorf("engine: inbound seen: %w", err)
		}
	}
	return hits, nil
}

// asConfirmed adds each needle as a confirmation text carries it:
// transliterated to GSM-7 ("Radić" → "Radic"), as every reply is sent.
func asConfirmed(needles []string) []string {
	out := slices.Clone(needles)
	for _, n := range needles {
		if t := gsm7.Transliterate(n); t != n {
			out = append(out, t)
		}
	}
	return out
}

func containsAny(s string, needles []string) bool {
	for _, n := range needles {
		if n != "" && strings.Contains(s, n) {
			return true
		}
	}
	return false
}
