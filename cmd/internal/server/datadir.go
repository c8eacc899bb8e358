package server

import (
	"fmt"
	"io/fs"
	"log/slog"
	"os"
)

// MaxHeaderBytes bounds a request's header (net/http's default is 1 MiB).
const MaxHeaderBytes = 64 << 10

// privateDir creates the data directory with mode 0700, or forces an
// existing one to 0700 with a warning: it holds the event log, seeds and keys.
func privateDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		log.Warn("data directory was readable by others; set to 0700", "dir", dir, "was", fs.FileMode(mode).String())
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("data directory: %w", err)
		}
	}
	return nil
}
