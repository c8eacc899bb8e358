package natsd

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// StoreKeyEnv holds the store key itself; it is no flag because flags show
// in process listings.
const StoreKeyEnv = "KASKADE_STORE_KEY"

// StoreOldKeyEnv holds the previous key while the store changes keys.
const StoreOldKeyEnv = "KASKADE_STORE_OLD_KEY"

// Store ciphers for Options.StoreCipher ("" is chacha).
const (
	CipherChaCha = "chacha"
	CipherAES    = "aes"
	CipherNone   = "none"
)

const minStoreKeyLen = 16

// StoreKeyFile is the key generated on first start when none is given.
func StoreKeyFile(dataDir string) string { return filepath.Join(Dir(dataDir), "store.key") }

// storeCheckFile records which key the store was encrypted with (an HMAC,
// not the key), so a changed key fails the start instead of hiding streams.
func storeCheckFile(dataDir string) string { return filepath.Join(Dir(dataDir), "store.check") }

type storeCheck struct {
	Cipher string `json:"cipher"`
	Check  string `json:"check"` // hex HMAC-SHA256(key, checkLabel)
}

const checkLabel = "kaskade jetstream store key check v1"

// StoreKeyError is a store key that does not fit the store on disk.
type StoreKeyError struct{ Msg string }

func (e StoreKeyError) Error() string { return e.Msg }

// storeEncryption sets the JetStream cipher and key on base. A store that
// was encrypted before only starts with the same key; a plaintext store is
// converted by nats-server on the first start with a key.
func storeEncryption(base *server.Options, o Options) error {
	cipher, err := parseCipher(o.StoreCipher)
	if err != nil {
		return err
	}
	check, err := readStoreCheck(o.DataDir)
	if err != nil {
		return err
	}
	if cipher == CipherNone {
		return noEncryption(o, check)
	}
	key, source, err := storeKey(o, check != nil)
	if err != nil {
		return err
	}
	if err := verifyStoreKey(base, o, check, key, cipher); err != nil {
		return err
	}
	base.JetStreamKey = key
	base.JetStreamCipher = server.ChaCha
	if cipher == CipherAES {
		base.JetStreamCipher = server.AES
	}
	logStoreKey(o.Logger, o.DataDir, cipher, source)
	return nil
}

func parseCipher(s string) (string, error) {
	switch strings.ToLower(s) {
	case "", CipherChaCha:
		return CipherChaCha, nil
	case CipherAES:
		return CipherAES, nil
	case CipherNone:
		return CipherNone, nil
	}
	return "", UsageError{fmt.Sprintf("--store-cipher %q: use chacha, aes or none", s)}
}

func noEncryption(o Options, check *storeCheck) error {
	if check != nil {
		return StoreKeyError{fmt.Sprintf("natsd: the store in %s is encrypted (%s); start it with its key, not --store-cipher none",
			o.DataDir, storeCheckFile(o.DataDir))}
	}
	o.Logger.Warn("JetStream store is not encrypted (--store-cipher none)", "dir", o.DataDir)
	return nil
}

// storeKey returns the key from the environment, the key file or the
// generated file (created only for a store that has no key yet).
func storeKey(o Options, encrypted bool) (key, source string, err error) {
	switch {
	case o.StoreKey != "" && o.StoreKeyFile != "":
		return "", "", UsageError{"give the store key either in $" + StoreKeyEnv + " or with --store-key-file, not both"}
	case o.StoreKey != "":
		key, source = o.StoreKey, "$"+StoreKeyEnv
	case o.StoreKeyFile != "":
		data, err := os.ReadFile(o.StoreKeyFile)
		if err != nil {
			return "", "", fmt.Errorf("natsd: --store-key-file: %w", err)
		}
		key, source = strings.TrimSpace(string(data)), o.StoreKeyFile
	default:
		key, err = generatedKey(o.DataDir, encrypted)
		source = StoreKeyFile(o.DataDir)
	}
	if err == nil && len(key) < minStoreKeyLen {
		err = UsageError{fmt.Sprintf("store key from %s is shorter than %d characters (try: openssl rand -base64 32)", source, minStoreKeyLen)}
	}
	return key, source, err
}

func generatedKey(dataDir string, encrypted bool) (string, error) {
	path := StoreKeyFile(dataDir)
	data, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(data)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("natsd: store key: %w", err)
	}
	if encrypted {
		return "", StoreKeyError{fmt.Sprintf("natsd: the store in %s is encrypted but no key was given ($%s, --store-key-file) and %s is missing",
			dataDir, StoreKeyEnv, path)}
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	key := base64.RawStdEncoding.EncodeToString(raw)
	if err := writeAtomic(path, []byte(key+"\n")); err != nil {
		return "", fmt.Errorf("natsd: store key: %w", err)
	}
	return key, nil
}

// verifyStoreKey compares the key with the recorded check, or records it
// for a store that was not encrypted before. With the previous key (key
// rotation) nats-server re-encrypts the store; the check is rewritten once
// the server has started (finishRotation).
func verifyStoreKey(base *server.Options, o Options, check *storeCheck, key, cipher string) error {
	sum := keyCheck(key)
	if check != nil {
		if hmac.Equal([]byte(check.Check), []byte(sum)) {
			return nil
		}
		if o.StoreOldKey != "" && hmac.Equal([]byte(check.Check), []byte(keyCheck(o.StoreOldKey))) {
			base.JetStreamOldKey = o.StoreOldKey
			return nil
		}
		return StoreKeyError{fmt.Sprintf("natsd: the store key does not match the key the store in %s was encrypted with (%s); "+
			"start with the previous key, or give it as $%s to change keys - a changed key would hide the stored events",
			o.DataDir, storeCheckFile(o.DataDir), StoreOldKeyEnv)}
	}
	if encryptedFiles(filepath.Join(o.DataDir, "jetstream")) {
		return StoreKeyError{fmt.Sprintf("natsd: the store in %s holds encrypted streams but %s is missing; its key cannot be verified",
			o.DataDir, storeCheckFile(o.DataDir))}
	}
	return writeCheck(o.DataDir, cipher, sum)
}

// finishRotation records the new key after nats-server re-encrypted the
// store with it.
func finishRotation(base *server.Options, dataDir string, log *slog.Logger) error {
	if base.JetStreamOldKey == "" {
		return nil
	}
	cipher := CipherChaCha
	if base.JetStreamCipher == server.AES {
		cipher = CipherAES
	}
	if err := writeCheck(dataDir, cipher, keyCheck(base.JetStreamKey)); err != nil {
		return err
	}
	log.Warn("JetStream store re-encrypted with the new key; the old key is no longer needed")
	return nil
}

func writeCheck(dataDir, cipher, sum string) error {
	data, _ := json.Marshal(storeCheck{Cipher: cipher, Check: sum})
	if err := writeAtomic(storeCheckFile(dataDir), append(data, '\n')); err != nil {
		return fmt.Errorf("natsd: store check: %w", err)
	}
	return nil
}

func keyCheck(key string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(checkLabel))
	return hex.EncodeToString(m.Sum(nil))
}

func readStoreCheck(dataDir string) (*storeCheck, error) {
	data, err := os.ReadFile(storeCheckFile(dataDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsd: store check: %w", err)
	}
	var c storeCheck
	if err := json.Unmarshal(data, &c); err != nil || c.Check == "" {
		return nil, StoreKeyError{fmt.Sprintf("natsd: %s is damaged; restore it from a backup", storeCheckFile(dataDir))}
	}
	return &c, nil
}

// encryptedFiles reports whether a JetStream store dir holds the key files
// nats-server writes beside encrypted streams and consumers.
func encryptedFiles(dir string) bool {
	found := false
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == server.JetStreamMetaFileKey {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func logStoreKey(log *slog.Logger, dataDir, cipher, source string) {
	if source == StoreKeyFile(dataDir) {
		log.Warn("JetStream store encrypted with the key beside the data; keep the key elsewhere ($"+StoreKeyEnv+
			" or --store-key-file) to protect copies of the data directory", "cipher", cipher, "key", source)
		return
	}
	log.Info("JetStream store encrypted", "cipher", cipher, "key", source)
}

// writeAtomic writes path (mode 0600) whole or not at all, replacing it: a
// kill must never leave an empty key or check behind.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	os.Remove(tmp)
	if err := writeNew(tmp, data); err != nil {
		return err
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
