package console

import (
	"fmt"
	"os"
	"strconv"
)

// rotating is an append-only file that is renamed to path.1 (path.1 to
// path.2, …) when a line would take it past maxBytes; keep old files stay.
type rotating struct {
	path     string
	maxBytes int64
	keep     int
	f        *os.File
	size     int64
}

func openRotating(path string, maxBytes int64, keep int) (*rotating, error) {
	r := &rotating{path: path, maxBytes: maxBytes, keep: keep}
	return r, r.open()
}

func (r *rotating) open() error {
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	r.f, r.size = f, fi.Size()
	return nil
}

func (r *rotating) Write(line []byte) error {
	if r.size > 0 && r.size+int64(len(line)) > r.maxBytes {
		if err := r.rotate(); err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
	}
	n, err := r.f.Write(line)
	r.size += int64(n)
	return err
}

// rotate drops the oldest file and shifts the others by one.
func (r *rotating) rotate() error {
	if err := r.f.Close(); err != nil {
		return err
	}
	name := func(i int) string { return r.path + "." + strconv.Itoa(i) }
	if err := os.Remove(name(r.keep)); err != nil && !os.IsNotExist(err) {
		return err
	}
	for i := r.keep - 1; i >= 1; i-- {
		if err := os.Rename(name(i), name(i+1)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	if r.keep == 0 {
		if err := os.Remove(r.path); err != nil {
			return err
		}
	} else if err := os.Rename(r.path, name(1)); err != nil {
		return err
	}
	return r.open()
}

func (r *rotating) Close() error { return r.f.Close() }
