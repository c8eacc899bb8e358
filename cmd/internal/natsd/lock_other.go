//go:build !unix

package natsd

import "errors"

// ErrDataDirInUse means another process runs an embedded server on the data directory.
var ErrDataDirInUse = errors.New("natsd: the data directory is in use by another Kaskade (stop it first)")

// lockDataDir does not lock where flock is missing.
func lockDataDir(string) (func(), error) { return func() {}, nil }
