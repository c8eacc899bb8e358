//go:build unix

package natsd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// ErrDataDirInUse means another process runs an embedded server on the
// data directory: two servers must never open the same JetStream store.
var ErrDataDirInUse = errors.New("natsd: the data directory is in use by another Kaskade (stop it first)")

// lockDataDir takes an exclusive lock on <data>/kaskade.lock for as long as
// the embedded server runs; the kernel drops it when the process dies.
func lockDataDir(dataDir string) (release func(), err error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("natsd: data directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dataDir, "kaskade.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("natsd: lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrDataDirInUse, dataDir)
		}
		return nil, fmt.Errorf("natsd: lock: %w", err)
	}
	return func() { f.Close() }, nil
}
