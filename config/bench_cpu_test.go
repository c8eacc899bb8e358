//go:build unix

package config

import (
	"syscall"
	"time"
)

// cpuTime returns the user and system CPU time of the process so far: a
// figure that, unlike wall time, hardly moves when other processes share
// the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
