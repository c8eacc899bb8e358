package natsd_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

// secret is the plaintext a stored event carries: a person's name.
const secret = "Hannelore Beispielfrau"

func TestTheStoreIsEncryptedAtRest(t *testing.T) {
	for _, tc := range []struct {
		name      string
		o         natsd.Options
		plaintext bool // the name is readable in the store files
	}{
		{"default: chacha with a generated key", natsd.Options{}, false},
		{"aes with a key from the environment", natsd.Options{StoreCipher: "aes", StoreKey: "0123456789abcdef-env-key"}, false},
		{"chacha with a key file", natsd.Options{StoreKeyFile: keyFile(t, "a-key-from-a-file-0123456789")}, false},
		{"none", natsd.Options{StoreCipher: "none"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.o.DataDir = t.TempDir()
			writeSecret(t, tc.o)
			if got := storeHolds(t, tc.o.DataDir, secret); got != tc.plaintext {
				t.Fatalf("plaintext %q in the store files: %v, want %v", secret, got, tc.plaintext)
			}
			if got := readSecret(t, tc.o); got != secret {
				t.Fatalf("after a restart the event reads %q", got)
			}
		})
	}
}

func TestAGeneratedKeyIsPrivate(t *testing.T) {
	dir := t.TempDir()
	start(t, natsd.Options{DataDir: dir}).Shutdown()
	fi, err := os.Stat(natsd.StoreKeyFile(dir))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("store.key mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestAStoreOnlyStartsWithItsKey(t *testing.T) {
	key := "the-right-key-0123456789"
	for _, tc := range []struct {
		name string
		o    natsd.Options
		want string // in the error
	}{
		{"another key", natsd.Options{StoreKey: "another-key-0123456789"}, "does not match"},
		{"no key at all", natsd.Options{}, "no key was given"},
		{"no encryption", natsd.Options{StoreCipher: "none"}, "is encrypted"},
		{"both key sources", natsd.Options{StoreKey: key, StoreKeyFile: keyFile(t, key)}, "not both"},
		{"a short key", natsd.Options{StoreKey: "short"}, "shorter than"},
		{"an unknown cipher", natsd.Options{StoreCipher: "rot13", StoreKey: key}, "--store-cipher"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeSecret(t, natsd.Options{DataDir: dir, StoreKey: key})
			tc.o.DataDir, tc.o.Listen = dir, "off"
			e, err := natsd.Start(tc.o)
			if err == nil {
				e.Shutdown()
				t.Fatal("the store started with the wrong key")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), key) {
				t.Fatalf("error %q: want %q and never the key", err, tc.want)
			}
			if got := readSecret(t, natsd.Options{DataDir: dir, StoreKey: key}); got != secret {
				t.Fatalf("with the right key again the event reads %q", got)
			}
		})
	}
}

func TestAMissingGeneratedKeyFailsTheStart(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, natsd.Options{DataDir: dir})
	if err := os.Remove(natsd.StoreKeyFile(dir)); err != nil {
		t.Fatal(err)
	}
	_, err := natsd.Start(natsd.Options{DataDir: dir, Listen: "off"})
	if se := (natsd.StoreKeyError{}); !errors.As(err, &se) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("error %v, want a StoreKeyError naming the missing key", err)
	}
}

func TestAPlaintextStoreIsEncryptedOnTheFirstStartWithAKey(t *testing.T) {
	dir := t.TempDir()
	writeSecret(t, natsd.Options{DataDir: dir, StoreCipher: "none"})
	if got := readSecret(t, natsd.Options{DataDir: dir}); got != secret {
		t.Fatalf("after encrypting the event reads %q", got)
	}
	if storeHolds(t, dir, secret) {
		t.Fatalf("plaintext %q still in the store files", secret)
	}
}

func keyFile(t *testing.T, key string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.key")
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSecret stores the name in a stream and a KV bucket, then stops.
func writeSecret(t *testing.T, o natsd.Options) {
	t.Helper()
	e := start(t, o)
	js := jsOf(t, e)
	if _, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(t.Context(), "ev.1", []byte(`{"name":"`+secret+`"}`)); err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(t.Context(), jetstream.KeyValueConfig{Bucket: "SEEN"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(t.Context(), "k", []byte(secret)); err != nil {
		t.Fatal(err)
	}
	e.Shutdown()
}

// readSecret restarts the store and reads the name back.
func readSecret(t *testing.T, o natsd.Options) string {
	t.Helper()
	e := start(t, o)
	defer e.Shutdown()
	js := jsOf(t, e)
	s, err := js.Stream(t.Context(), "EV")
	if err != nil {
		t.Fatalf("stream after restart: %v", err)
	}
	m, err := s.GetMsg(t.Context(), 1)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(t.Context(), "SEEN")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get(t.Context(), "k"); err != nil || string(v.Value()) != secret {
		t.Fatalf("bucket after restart: %v", err)
	}
	return strings.TrimSuffix(strings.TrimPrefix(string(m.Data), `{"name":"`), `"}`)
}

func jsOf(t *testing.T, e *natsd.Embedded) jetstream.JetStream {
	t.Helper()
	nc, err := e.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// storeHolds searches every file of the JetStream store, like grep -r.
func storeHolds(t *testing.T, dataDir, text string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(filepath.Join(dataDir, "jetstream"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if bytes.Contains(data, []byte(text)) {
			found = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

func TestTheStoreChangesKeysWithTheOldOne(t *testing.T) {
	dir := t.TempDir()
	oldKey, newKey := "the-old-key-0123456789", "the-new-key-9876543210"
	writeSecret(t, natsd.Options{DataDir: dir, StoreKey: oldKey})
	if got := readSecret(t, natsd.Options{DataDir: dir, StoreKey: newKey, StoreOldKey: oldKey}); got != secret {
		t.Fatalf("while changing keys the event reads %q", got)
	}
	// Re-encrypted: the new key alone opens it, the old one no longer does.
	if got := readSecret(t, natsd.Options{DataDir: dir, StoreKey: newKey}); got != secret {
		t.Fatalf("with the new key alone the event reads %q", got)
	}
	if _, err := natsd.Start(natsd.Options{DataDir: dir, Listen: "off", StoreKey: oldKey}); err == nil || !strings.Contains(err.Error(), natsd.StoreOldKeyEnv) {
		t.Fatalf("the old key after the change: %v, want a refusal naming %s", err, natsd.StoreOldKeyEnv)
	}
	if storeHolds(t, dir, secret) {
		t.Fatal("plaintext in the store after the key change")
	}
}
