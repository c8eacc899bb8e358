package engine

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// Personal fields of events (person ids, answers, free texts, authors) are
// stored sealed (AES-256-GCM) from event version 2 on: "~<scope>.<ref>.<data>".
// The scope is "i" (the event's incident) or "d<yyyymmdd>" (events of no
// incident, e.g. messages from unknown senders); ref is the person's
// pseudonym in that scope, their ref encrypted under the scope (scopedRef; "*<ref>" for the
// person id itself; "" for a field of the scope), so that once the scope
// key is gone nothing links the event to the person. A person field's key is
// HMAC(person key, scope key): shredding either (erasure of the person,
// retention of the incident or day) leaves the field unreadable. The
// engine seals on append and opens on read; the core sees plaintext, and
// an unreadable field becomes ErasedPerson(ref) or ErasedText.

// SealedVersion is the event version whose fields may be sealed; events of
// version 1 (written before) are plaintext and replay as they are.
const SealedVersion = 2

// ErasedText replaces a free text whose key was shredded.
const ErasedText = activation.ErasedText

// ErasedPrefix starts the id that replaces an erased person's id.
const ErasedPrefix = activation.ErasedPrefix

// ErasedPerson is the stand-in id of an erased person: stable per person,
// so counts and figures stay right.
func ErasedPerson(ref string) string { return ErasedPrefix + ref[:min(16, len(ref))] }

// IsErased reports whether a person id or text stands for erased data.
func IsErased(s string) bool { return activation.IsErased(s) }

// sealer seals and opens the fields of one event.
type sealer struct {
	ctx     context.Context
	k       *keyring
	ev      *activation.Event
	scope   string // key name of the scope ("i.K7", "d.20261203")
	tag     string // the scope in sealed strings ("i", "d20261203")
	pending *newKeys
	err     error
}

// scopeOf names an event's scope: its incident, or the day for events of none.
func scopeOf(incident string, at time.Time) (name, tag string) {
	if incident == "" || incident == "_" {
		day := at.UTC().Format("20060102")
		return "d." + day, "d" + day
	}
	return "i." + kvToken(incident), "i"
}

// kvToken makes an incident id a valid bucket key token.
func kvToken(s string) string {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			sum := sha256.Sum256([]byte(s))
			return "h" + hex.EncodeToString(sum[:16])
		}
	}
	return s
}

// sealEvent returns a copy of ev with its personal fields sealed; the keys
// it needs that do not exist yet are added to pending.
func (k *keyring) sealEvent(ctx context.Context, ev activation.Event, pending *newKeys) (activation.Event, error) {
	s := &sealer{ctx: ctx, k: k, ev: &ev, pending: pending}
	s.scope, s.tag = scopeOf(ev.Incident, ev.At)
	ev.V = SealedVersion
	walkEvent(&ev, true, s.field)
	return ev, s.err
}

// openEvent opens the sealed fields of ev in place (version 2 and up).
func (k *keyring) openEvent(ctx context.Context, ev *activation.Event) {
	if ev.V < SealedVersion {
		return
	}
	s := &sealer{ctx: ctx, k: k, ev: ev}
	s.scope, s.tag = scopeOf(ev.Incident, ev.At)
	open := func(_ string, v *string, _ bool) {
		if strings.HasPrefix(*v, "~") {
			*v = s.open(*v)
		}
	}
	walkEvent(ev, false, open)
}

// walkEvent calls field(owner, &v, id) for each personal field of ev
// (person ids, id true, and texts), owner being the field's person ("" for
// the scope).
// copyPayloads makes the payloads ev points to its own first (sealing
// must not change the events the core holds).
func walkEvent(ev *activation.Event, copyPayloads bool, field func(owner string, v *string, id bool)) {
	person := func(owner string, v *string) { field(owner, v, true) }
	text := func(owner string, v *string) { field(owner, v, false) }
	switch {
	case ev.Declared != nil:
		d := own(&ev.Declared, copyPayloads)
		text("", &d.DeclaredBy)
		text("", &d.Reason)
		text("", &d.Message)
	case ev.Activation != nil:
		p := ev.Activation
		if copyPayloads {
			c := *p
			c.Nodes = make([]activation.PlanNode, len(p.Nodes))
			copy(c.Nodes, p.Nodes)
			for i := range c.Nodes {
				c.Nodes[i].People = append([]string(nil), c.Nodes[i].People...)
			}
			p, ev.Activation = &c, &c
		}
		for i := range p.Nodes {
			for j := range p.Nodes[i].People {
				person(p.Nodes[i].People[j], &p.Nodes[i].People[j])
			}
		}
	case ev.Tier != nil:
		t := own(&ev.Tier, copyPayloads)
		person(t.Person, &t.Person)
	case ev.Notification != nil:
		n := own(&ev.Notification, copyPayloads)
		text("", &n.Text)
		person(n.Person, &n.Person)
	case ev.Delivery != nil:
		d := own(&ev.Delivery, copyPayloads)
		text("", &d.Detail)
	case ev.Response != nil:
		r := own(&ev.Response, copyPayloads)
		owner := r.Person
		text(owner, &r.Remark)
		text("", &r.Actor)
		person(owner, &r.Person)
	case ev.Update != nil:
		u := own(&ev.Update, copyPayloads)
		text("", &u.Text)
		text("", &u.By)
	case ev.StandDown != nil:
		s := own(&ev.StandDown, copyPayloads)
		text("", &s.By)
		text("", &s.Reason)
	case ev.Inbound != nil:
		in := own(&ev.Inbound, copyPayloads)
		owner := in.Person
		text(owner, &in.From)
		text(owner, &in.Body)
		text(owner, &in.Hash)
		text(owner, &in.Auth)
		if in.Person != "" {
			person(owner, &in.Person)
		}
	case ev.Rejected != nil:
		r := own(&ev.Rejected, copyPayloads)
		owner := r.Person
		text(owner, &r.Error)
		if r.Person != "" {
			person(owner, &r.Person)
		}
	case ev.Converted != nil:
		c := own(&ev.Converted, copyPayloads)
		text("", &c.By)
		text("", &c.Reason)
	}
}

// own returns the payload *p points to; with copyPayloads a copy, stored
// back in the event, so sealing leaves the core's payload alone.
func own[T any](p **T, copyPayloads bool) *T {
	if copyPayloads {
		c := **p
		*p = &c
	}
	return *p
}

// field seals a person id or text with its owner's field key (the
// scope's when owner is "").
func (s *sealer) field(owner string, v *string, id bool) {
	if *v == "" || s.err != nil {
		return
	}
	*v = s.seal(owner, *v, id)
}

func (s *sealer) seal(owner, plain string, id bool) string {
	scopeKey, err := s.k.scopeKey(s.ctx, s.scope, s.pending)
	if err != nil {
		s.err = err
		return ""
	}
	ref := ""
	if owner != "" {
		if ref, err = s.k.personRef(owner, s.pending); err != nil {
			s.err = err
			return ""
		}
	}
	if scopeKey == nil {
		// The scope was shredded (retention ran): nothing personal is kept.
		if id {
			return ErasedPerson(ref)
		}
		return ErasedText
	}
	var aead cipher.AEAD
	if owner != "" {
		aead, err = s.k.fieldKey(s.scope, scopeKey, ref, s.personKey(ref))
		ref = s.k.scopedRef(scopeKey, ref)
	} else {
		aead, err = s.k.fieldKey(s.scope, scopeKey, "", nil)
	}
	if err != nil {
		s.err = err
		return ""
	}
	out, err := sealString(aead, s.ev.Incident, plain)
	if err != nil {
		s.err = err
		return ""
	}
	if id {
		ref = "*" + ref
	}
	return "~" + s.tag + "." + ref + "." + out
}

// personKey is the key of ref, also one created in this decision.
func (s *sealer) personKey(ref string) []byte {
	if rec, ok := s.pending.recs["p."+ref]; ok {
		return rec.Key
	}
	return s.k.key(s.ctx, "p."+ref)
}

// open returns the plaintext of a sealed string, or its stand-in when a
// key is gone; a string that is not sealed is returned as it is.
func (s *sealer) open(v string) string {
	tag, rest, ok1 := strings.Cut(v[1:], ".")
	ref, data, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 {
		return v
	}
	scope := s.scope
	if tag != s.tag {
		if !strings.HasPrefix(tag, "d") {
			return v
		}
		scope = "d." + tag[1:]
	}
	erased := ErasedText
	if r, id := strings.CutPrefix(ref, "*"); id {
		ref, erased = r, ErasedPerson(r)
	}
	scopeKey := s.k.key(s.ctx, scope)
	if scopeKey == nil {
		return erased
	}
	var personKey []byte
	if ref != "" {
		var ok bool
		if ref, ok = s.k.resolve(scopeKey, ref); !ok {
			return erased
		}
		if personKey = s.k.key(s.ctx, "p."+ref); personKey == nil {
			return erased
		}
	}
	aead, err := s.k.fieldKey(scope, scopeKey, ref, personKey)
	if err != nil {
		return erased
	}
	plain, err := openString(aead, s.ev.Incident, data)
	if err != nil {
		return erased
	}
	return plain
}

// fieldKey derives the key of a scope's field, of a person's when ref is
// set. Derived keys are cached (32 bytes each), their ciphers, many times
// larger, only up to maxCiphers: a replayed plan needs one per person.
func (k *keyring) fieldKey(scope string, scopeKey []byte, ref string, personKey []byte) (cipher.AEAD, error) {
	name := scope + "/" + ref
	k.mu.RLock()
	aead, ok := k.derived[name]
	raw, derived := k.fieldKeys[name]
	k.mu.RUnlock()
	if ok {
		return aead, nil
	}
	if !derived {
		var mac = hmac.New(sha256.New, scopeKey)
		if ref != "" {
			mac = hmac.New(sha256.New, personKey)
			mac.Write(scopeKey)
		}
		mac.Write([]byte("kaskade field key v2"))
		mac.Sum(raw[:0])
	}
	aead, err := gcm(raw[:])
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	if k.derived == nil || len(k.derived) >= maxCiphers {
		k.derived = map[string]cipher.AEAD{}
	}
	k.derived[name] = aead
	if k.fieldKeys == nil {
		k.fieldKeys = map[string][32]byte{}
	}
	k.fieldKeys[name] = raw
	k.mu.Unlock()
	return aead, nil
}

// maxCiphers bounds the cached field ciphers (emptied when full).
const maxCiphers = 4096

// sealString encrypts plain with AES-256-GCM bound to the incident.
func sealString(aead cipher.AEAD, incident, plain string) (string, error) {
	buf := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(buf); err != nil {
		return "", fmt.Errorf("engine: nonce: %w", err)
	}
	buf = aead.Seal(buf, buf, []byte(plain), []byte(incident))
	return b64.EncodeToString(buf), nil
}

func openString(aead cipher.AEAD, incident, data string) (string, error) {
	raw, err := b64.DecodeString(data)
	if err != nil {
		return "", err
	}
	if len(raw) < aead.NonceSize() {
		return "", fmt.Errorf("engine: sealed field too short")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(incident))
	return string(plain), err
}

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("engine: cipher: %w", err)
	}
	return cipher.NewGCM(block)
}

// sealAll returns the events as they are stored: with Options.Seal, copies
// with their personal fields sealed, after the keys they need were stored.
func (e *Engine) sealAll(ctx context.Context, evs []activation.Event) ([]activation.Event, error) {
	if !e.opts.Seal {
		return evs, nil
	}
	out, err := e.sealWith(ctx, evs)
	if errors.Is(err, errKeyTaken) {
		// A key the cache missed exists: seal once more with the stored keys.
		e.keys.forget()
		out, err = e.sealWith(ctx, evs)
	}
	return out, err
}

// sealWith seals the events, creating (create only) the keys the cache lacks.
func (e *Engine) sealWith(ctx context.Context, evs []activation.Event) ([]activation.Event, error) {
	if err := e.keys.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	pending := makeNewKeys()
	out := make([]activation.Event, len(evs))
	for i, ev := range evs {
		sealed, err := e.keys.sealEvent(ctx, ev, pending)
		if err != nil {
			return nil, fmt.Errorf("engine: seal %s: %w", ev.Kind, err)
		}
		out[i] = sealed
	}
	if err := e.keys.create(ctx, pending); err != nil {
		return nil, err
	}
	return out, nil
}

// openRequest opens a notification request as the dispatcher reads it
// (notifications always belong to an incident: its time is not needed).
func (k *keyring) openRequest(ctx context.Context, r *requestEvent) {
	if r.V < SealedVersion || r.Notification == nil {
		return
	}
	ev := activation.Event{V: r.V, Incident: r.Incident, Notification: r.Notification}
	k.openEvent(ctx, &ev)
}

// scopedRef is a person's pseudonym within a scope: their ref (8 bytes)
// and 8 zero bytes encrypted as one AES block under a key derived from the
// scope key. Stable within the scope, unlinkable across scopes, and
// invertible only while the scope key exists.
func (k *keyring) scopedRef(scopeKey []byte, ref string) string {
	raw, err := hex.DecodeString(ref)
	block := k.refCipher(scopeKey)
	if err != nil || len(raw) != 8 || block == nil {
		return ""
	}
	var buf [16]byte
	copy(buf[:], raw)
	block.Encrypt(buf[:], buf[:])
	return hex.EncodeToString(buf[:])
}

// resolve inverts scopedRef; false when the pseudonym is not one.
func (k *keyring) resolve(scopeKey []byte, scoped string) (string, bool) {
	raw, err := hex.DecodeString(scoped)
	block := k.refCipher(scopeKey)
	if err != nil || len(raw) != 16 || block == nil {
		return "", false
	}
	block.Decrypt(raw, raw)
	for _, b := range raw[8:] {
		if b != 0 {
			return "", false
		}
	}
	return hex.EncodeToString(raw[:8]), true
}

// refCipher is the (cached) block cipher of a scope's pseudonyms.
func (k *keyring) refCipher(scopeKey []byte) cipher.Block {
	k.mu.RLock()
	block := k.refBlocks[string(scopeKey)]
	k.mu.RUnlock()
	if block != nil {
		return block
	}
	mac := hmac.New(sha256.New, scopeKey)
	mac.Write([]byte("kaskade ref key v2"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return nil
	}
	k.mu.Lock()
	if k.refBlocks == nil {
		k.refBlocks = map[string]cipher.Block{}
	}
	k.refBlocks[string(scopeKey)] = block
	k.mu.Unlock()
	return block
}

// Open opens the sealed fields of an event read from the log by someone
// other than the engine (the simulator, tests); see Events for whole logs.
func (e *Engine) Open(ctx context.Context, ev *activation.Event) { e.keys.openEvent(ctx, ev) }
