package engine

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// The keyring holds the keys that seal personal fields (seal.go) in the KV
// bucket KASKADE_KEYS: "p.<ref>" a person's key and id (ref is a random
// pseudonym), "i.<incident>" an incident's key, "d.<yyyymmdd>" a day's key
// for events of no incident. Deleting a key (shred) makes every field
// sealed with it unreadable, in the log, its backups and its copies.

// KeysBucket holds the sealing keys.
func (l Layout) KeysBucket() string { return l.name("KEYS") }

// keyRecord is a key's value in the bucket.
type keyRecord struct {
	Person string `json:"p,omitempty"`
	Key    []byte `json:"k"`
}

type keyring struct {
	layout Layout
	js     jetstream.JetStream

	// loading makes loads single-flight: a load that waits for another
	// finds the cache loaded (ensureLoaded) instead of reading again.
	loading sync.Mutex

	mu     sync.RWMutex
	kv     jetstream.KeyValue
	loaded bool
	// gen counts forgets: a load installs what it read only if no forget
	// came while it read.
	gen uint64
	// reads counts full reads of the bucket; afterRead, if set (tests),
	// runs between a read and its installation.
	reads     atomic.Int64
	afterRead func()
	// loadedAt is the bucket stream's last sequence read before the last
	// full load: while it has not moved, the loaded cache is the bucket.
	loadedAt uint64
	keys     *keyCache              // bucket key → key, person → ref; nil: not loaded, nothing cached
	derived  map[string]cipher.AEAD // scope key name + "/" + ref → field cipher (bounded)
	// fieldKeys are the derived keys of derived, all of them.
	fieldKeys map[string][32]byte
	// refBlocks are the ciphers of pseudonyms per scope key (scopedRef).
	refBlocks map[string]cipher.Block
}

func newKeyring(l Layout, js jetstream.JetStream) *keyring {
	return &keyring{layout: l, js: js}
}

// bucket opens (or creates) the keys bucket.
func (k *keyring) bucket(ctx context.Context) (jetstream.KeyValue, error) {
	k.mu.RLock()
	kv := k.kv
	k.mu.RUnlock()
	if kv != nil {
		return kv, nil
	}
	name := k.layout.KeysBucket()
	kv, err := k.js.KeyValue(ctx, name)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		if err = k.createBucket(ctx); err == nil {
			kv, err = k.js.KeyValue(ctx, name)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("engine: keys bucket: %w", err)
	}
	k.mu.Lock()
	k.kv = kv
	k.mu.Unlock()
	return kv, nil
}

// createBucket creates the bucket's stream as a KV bucket would, except
// that single messages may be deleted (a KV bucket refuses that), which
// shred needs to overwrite a key where it is stored.
func (k *keyring) createBucket(ctx context.Context) error {
	name := k.layout.KeysBucket()
	_, err := k.js.CreateStream(ctx, jetstream.StreamConfig{Name: "KV_" + name, Subjects: []string{"$KV." + name + ".>"},
		MaxMsgsPerSubject: 1, Discard: jetstream.DiscardNew, AllowRollup: true, AllowDirect: true, DenyDelete: false, Duplicates: minDuplicates,
		Storage: jetstream.FileStorage, Replicas: max(k.layout.Replicas, 1),
		Description: "Kaskade keys of personal fields (erasing a key erases the data)"})
	if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("engine: keys bucket: %w", err)
	}
	return nil
}

// load reads every key once (a replay needs most of them): the bucket's
// stream is read through an ordered pull consumer, last message per key,
// into maps sized from the stream's count (a KV watch hands over one key
// at a time: the restart figures are in docs/BENCHMARKS.md).
func (k *keyring) load(ctx context.Context) error {
	k.loading.Lock()
	defer k.loading.Unlock()
	return k.loadLocked(ctx)
}

// loadLocked is load with k.loading held.
func (k *keyring) loadLocked(ctx context.Context) error {
	k.mu.RLock()
	gen := k.gen
	k.mu.RUnlock()
	if _, err := k.bucket(ctx); err != nil {
		return err
	}
	stream, err := k.js.Stream(ctx, "KV_"+k.layout.KeysBucket())
	if err != nil {
		return fmt.Errorf("engine: keys stream: %w", err)
	}
	state := stream.CachedInfo().State
	n := int(min(state.Msgs, 1<<22))
	keys := newKeyCache(n)
	if n > 0 {
		if err := k.readAll(ctx, stream, func(name string, data []byte) {
			rec, ok := parseKeyRecord(data)
			if !ok {
				return
			}
			keys.put(name, rec.Key)
			if ref, ok := strings.CutPrefix(name, "p."); ok && rec.Person != "" {
				keys.setRef(rec.Person, ref)
			}
		}); err != nil {
			return err
		}
	}
	k.reads.Add(1)
	if k.afterRead != nil {
		k.afterRead()
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != gen {
		return nil // forgotten meanwhile: the next use loads again
	}
	k.keys, k.derived, k.fieldKeys, k.loaded, k.loadedAt = keys, map[string]cipher.AEAD{}, nil, true, state.LastSeq
	return nil
}

// reload makes the cache the bucket's current content: a full load unless
// the cache is from a load after which the bucket's stream has taken no
// message (no key created, deleted or purged by anyone).
func (k *keyring) reload(ctx context.Context) error {
	k.loading.Lock()
	defer k.loading.Unlock()
	k.mu.RLock()
	loaded, at := k.loaded, k.loadedAt
	k.mu.RUnlock()
	if loaded {
		stream, err := k.js.Stream(ctx, "KV_"+k.layout.KeysBucket())
		if err != nil {
			return fmt.Errorf("engine: keys stream: %w", err)
		}
		if stream.CachedInfo().State.LastSeq == at {
			return nil
		}
	}
	k.forget()
	return k.loadLocked(ctx)
}

// readAll calls f with the name and value of every key in the bucket's
// stream (deleted and purged keys left out) until none is pending.
func (k *keyring) readAll(ctx context.Context, stream jetstream.Stream, f func(name string, data []byte)) error {
	prefix := "$KV." + k.layout.KeysBucket() + "."
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: []string{prefix + ">"}, DeliverPolicy: jetstream.DeliverLastPerSubjectPolicy}
	if sc := stream.CachedInfo().Config; sc.MaxMsgsPerSubject == 1 && slices.Equal(sc.Subjects, cfg.FilterSubjects) {
		// One message per key (as createBucket makes it): the whole stream
		// is the last message of each key, and an unfiltered read spares
		// the server a per-subject search for each message.
		cfg = jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("engine: keys: %w", err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(4096))
	if err != nil {
		return fmt.Errorf("engine: keys: %w", err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextMaxWait(2 * time.Second))
		if err != nil {
			// Every key deleted since the count was read: nothing is pending.
			if info, ierr := cons.Info(ctx); ierr == nil && info.NumPending == 0 {
				return nil
			}
			return fmt.Errorf("engine: keys: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("engine: keys: %w", err)
		}
		if name, ok := strings.CutPrefix(m.Subject(), prefix); ok && m.Headers().Get(kvOperation) == "" {
			// A copy of the name alone: the subject (twice as long) is freed.
			f(strings.Clone(name), m.Data())
		}
		if meta.NumPending == 0 {
			return nil
		}
	}
}

// kvOperation is the header of a KV delete or purge marker.
const kvOperation = "KV-Operation"

// parseKeyRecord reads a key's value as create writes it,
// {"p":"<person>","k":"<base64>"} or {"k":"<base64>"}, without reflection;
// anything else (escapes, other spacing) goes to encoding/json. ok: a
// 32-byte key.
func parseKeyRecord(data []byte) (keyRecord, bool) {
	var rec keyRecord
	rest, ok := bytes.CutPrefix(data, []byte(`{"p":"`))
	if ok {
		i := bytes.IndexByte(rest, '"')
		if i < 0 || bytes.IndexByte(rest[:i], '\\') >= 0 {
			return parseKeyRecordJSON(data)
		}
		rec.Person, rest = string(rest[:i]), rest[i+1:]
		rest, ok = bytes.CutPrefix(rest, []byte(`,"k":"`))
	} else {
		rest, ok = bytes.CutPrefix(data, []byte(`{"k":"`))
	}
	enc, ok2 := bytes.CutSuffix(rest, []byte(`"}`))
	if !ok || !ok2 || len(enc) != 44 { // 32 bytes in padded base64
		return parseKeyRecordJSON(data)
	}
	key := make([]byte, 32)
	if n, err := base64.StdEncoding.Decode(key, enc); err != nil || n != 32 {
		return parseKeyRecordJSON(data)
	}
	rec.Key = key
	return rec, true
}

func parseKeyRecordJSON(data []byte) (keyRecord, bool) {
	var rec keyRecord
	if json.Unmarshal(data, &rec) != nil || len(rec.Key) != 32 {
		return keyRecord{}, false
	}
	return rec, true
}

// forget drops the cache; the next use loads the bucket again.
func (k *keyring) forget() {
	k.mu.Lock()
	k.keys, k.derived, k.fieldKeys, k.refBlocks, k.loaded = nil, nil, nil, nil, false
	k.gen++
	k.mu.Unlock()
}

// ensureLoaded loads the cache unless it is loaded; a load under way is
// waited for rather than repeated.
func (k *keyring) ensureLoaded(ctx context.Context) error {
	if k.isLoaded() {
		return nil
	}
	k.loading.Lock()
	defer k.loading.Unlock()
	if k.isLoaded() {
		return nil
	}
	return k.loadLocked(ctx)
}

func (k *keyring) isLoaded() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.loaded
}

// ref returns a person's pseudonym ("" when the person has no key yet).
func (k *keyring) ref(person string) string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.keys == nil {
		return ""
	}
	return k.keys.ref(person)
}

// key returns a key by its bucket name; a key not cached is read from
// the bucket (a follower meets keys the leader created). nil: shredded,
// or not readable now.
func (k *keyring) key(ctx context.Context, name string) []byte {
	key, _ := k.lookup(ctx, name)
	return key
}

// lookup is key with the reason for a nil key: nil error means the key
// does not exist (or was shredded), an error that the bucket was not read.
func (k *keyring) lookup(ctx context.Context, name string) ([]byte, error) {
	key, cached := k.cached(name)
	if cached {
		return key, nil
	}
	kv, err := k.bucket(ctx)
	if err != nil {
		return nil, err
	}
	entry, err := kv.Get(ctx, name)
	var rec keyRecord
	switch {
	case err == nil:
		if json.Unmarshal(entry.Value(), &rec) == nil && len(rec.Key) == 32 {
			key = rec.Key
		}
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return nil, fmt.Errorf("engine: key %s: %w", name, err) // not cached
	}
	k.mu.Lock()
	if k.keys == nil {
		k.keys = newKeyCache(0)
	}
	k.keys.put(name, key)
	k.mu.Unlock()
	return key, nil
}

// cached returns the key cached under name; false if none is.
func (k *keyring) cached(name string) ([]byte, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.keys == nil {
		return nil, false
	}
	return k.keys.get(name)
}

// newKeys are keys to create before the events that use them are appended,
// by name; refs finds a new person key's ref by person without a scan (a
// first fan-out creates one key per person).
type newKeys struct {
	recs map[string]keyRecord
	refs map[string]string
}

// keyWindow bounds the key publishes awaiting their acknowledgement.
const keyWindow = 1000

func makeNewKeys() *newKeys {
	return &newKeys{recs: map[string]keyRecord{}, refs: map[string]string{}}
}

// personKey returns the person's ref, creating (in pending) a key if needed.
func (k *keyring) personRef(person string, pending *newKeys) (string, error) {
	if ref := k.ref(person); ref != "" {
		return ref, nil
	}
	if ref, ok := pending.refs[person]; ok {
		return ref, nil
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("engine: new ref: %w", err)
	}
	ref := hex.EncodeToString(b[:])
	rec, err := randomKey(person)
	if err != nil {
		return "", err
	}
	pending.recs["p."+ref], pending.refs[person] = rec, ref
	return ref, nil
}

// scopeKey returns the key of a scope (i.<incident> or d.<day>), creating
// it in pending if it never existed. nil: it was shredded.
func (k *keyring) scopeKey(ctx context.Context, name string, pending *newKeys) ([]byte, error) {
	if rec, ok := pending.recs[name]; ok {
		return rec.Key, nil
	}
	key, cached := k.cached(name)
	if cached && key != nil {
		return key, nil
	}
	key, err := k.lookup(ctx, name)
	if err != nil || key != nil {
		return key, err
	}
	if shredded, err := k.shredded(ctx, name); err != nil || shredded {
		return nil, err
	}
	rec, err := randomKey("")
	if err != nil {
		return nil, err
	}
	pending.recs[name] = rec
	return rec.Key, nil
}

// shredded tells whether a scope key was created once and deleted since:
// the bucket keeps a delete marker only until purged, so the keyring
// records shredded scopes under "x.<name>".
func (k *keyring) shredded(ctx context.Context, name string) (bool, error) {
	kv, err := k.bucket(ctx)
	if err != nil {
		return false, err
	}
	_, err = kv.Get(ctx, "x."+name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}

func randomKey(person string) (keyRecord, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return keyRecord{}, fmt.Errorf("engine: new key: %w", err)
	}
	return keyRecord{Person: person, Key: key}, nil
}

// create stores new keys (all published before any is waited for) and
// caches them; only then may events sealed with them be appended.
func (k *keyring) create(ctx context.Context, pending *newKeys) error {
	if len(pending.recs) == 0 {
		return nil
	}
	if _, err := k.bucket(ctx); err != nil {
		return err
	}
	// Published in windows: a first fan-out creates a key per person, more
	// than the connection's limit of unacknowledged async publishes.
	var futures []jetstream.PubAckFuture
	wait := func() error {
		for _, f := range futures {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				if keyExists(err) { // stored by another leader since the cache was read
					return fmt.Errorf("engine: store key: %w: %w", errKeyTaken, err)
				}
				return fmt.Errorf("engine: store key: %w", err)
			case <-ctx.Done():
				return fmt.Errorf("engine: store keys: %w", ctx.Err())
			}
		}
		futures = futures[:0]
		return nil
	}
	for name, rec := range pending.recs {
		data, err := json.Marshal(rec)
		if err != nil {
			return fmt.Errorf("engine: key: %w", err)
		}
		// Create only: a key is never replaced (that would shred its data).
		f, err := k.js.PublishAsync("$KV."+k.layout.KeysBucket()+"."+name, data, jetstream.WithExpectLastSequencePerSubject(0))
		if err != nil {
			return fmt.Errorf("engine: store key: %w", err)
		}
		if futures = append(futures, f); len(futures) == keyWindow {
			if err := wait(); err != nil {
				return err
			}
		}
	}
	if err := wait(); err != nil {
		return err
	}
	k.mu.Lock()
	if k.keys == nil {
		k.keys = newKeyCache(len(pending.recs))
	}
	for name, rec := range pending.recs {
		k.keys.put(name, rec.Key)
		if ref, ok := strings.CutPrefix(name, "p."); ok {
			k.keys.setRef(rec.Person, ref)
		}
	}
	k.mu.Unlock()
	return nil
}

// errKeyTaken: a key to create already exists (create only; the cache
// missed it).
var errKeyTaken = errors.New("engine: key exists")

// keyExists tells a refused create-only publish (10164 on replicated streams).
func keyExists(err error) bool {
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && (apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence ||
		apiErr.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant)
}

// shred deletes keys for good: every stored revision is overwritten
// (secure delete) and the subject purged; scope keys leave an "x." marker
// so they are never created again.
func (k *keyring) shred(ctx context.Context, names ...string) error {
	kv, err := k.bucket(ctx)
	if err != nil {
		return err
	}
	stream, err := k.js.Stream(ctx, "KV_"+k.layout.KeysBucket())
	if err != nil {
		return fmt.Errorf("engine: keys stream: %w", err)
	}
	for _, name := range names {
		entry, err := kv.Get(ctx, name)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
		case err != nil:
			return fmt.Errorf("engine: shred key: %w", err)
		default:
			if err := stream.SecureDeleteMsg(ctx, entry.Revision()); err != nil && !errors.Is(err, jetstream.ErrMsgNotFound) {
				return fmt.Errorf("engine: shred key: %w", err)
			}
		}
		if err := kv.Purge(ctx, name); err != nil {
			return fmt.Errorf("engine: shred key: %w", err)
		}
		if !strings.HasPrefix(name, "p.") {
			if _, err := kv.Put(ctx, "x."+name, []byte(`{"k":null}`)); err != nil {
				return fmt.Errorf("engine: shred key: %w", err)
			}
		}
	}
	k.mu.Lock()
	for _, name := range names {
		if k.keys == nil {
			continue
		}
		k.keys.put(name, nil)
		if ref, ok := strings.CutPrefix(name, "p."); ok {
			k.keys.dropRef(ref)
		}
	}
	k.derived, k.fieldKeys = map[string]cipher.AEAD{}, nil
	k.mu.Unlock()
	return nil
}

// personRefs reads from the bucket (not the cache) every ref whose key
// names person, sorted: a log written before take-overs reloaded the keys
// may hold several keys for one person.
func (k *keyring) personRefs(ctx context.Context, person string) ([]string, error) {
	kv, err := k.bucket(ctx)
	if err != nil {
		return nil, err
	}
	w, err := kv.Watch(ctx, "p.*", jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("engine: keys: %w", err)
	}
	defer w.Stop()
	var refs []string
	for {
		var entry jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case entry = <-w.Updates():
		}
		if entry == nil {
			slices.Sort(refs)
			return refs, nil
		}
		var rec keyRecord
		if json.Unmarshal(entry.Value(), &rec) == nil && rec.Person == person {
			refs = append(refs, strings.TrimPrefix(entry.Key(), "p."))
		}
	}
}

// personOf reads whose key p.<ref> is ("" when it is gone).
func (k *keyring) personOf(ctx context.Context, ref string) (string, error) {
	kv, err := k.bucket(ctx)
	if err != nil {
		return "", err
	}
	entry, err := kv.Get(ctx, "p."+ref)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("engine: key p.%s: %w", ref, err)
	}
	var rec keyRecord
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		return "", fmt.Errorf("engine: key p.%s: %w", ref, err)
	}
	return rec.Person, nil
}

// scopes lists the bucket's scope keys with a prefix ("i." or "d.").
func (k *keyring) scopes(ctx context.Context, prefix string) ([]string, error) {
	if err := k.ensureLoaded(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.keys == nil {
		return nil, nil
	}
	return k.keys.names(prefix), nil
}

var b64 = base64.RawURLEncoding
