package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// String formats like time.Duration ("30m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// ParseDuration parses "30m", "90s" or "1h30m". Negative durations are
// rejected: every duration in the file is a wait, a delay or a lifetime.
func ParseDuration(s string) (Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 90s, 30m, 1h30m)", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q must not be negative", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML accepts a duration string. The loader handles durations
// itself (to report every problem with its line); this method makes the
// type usable with plain yaml.Unmarshal too.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a duration such as 30m", n.Line)
	}
	v, err := ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes the duration in the form the loader reads.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// MarshalText writes the duration as "30m0s" (JSON, logs).
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText is the inverse of MarshalText.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MinWait is the shortest wait before deputies: the escalation timers
// have a resolution of one second.
const MinWait = time.Second

// shortWait is the wait below which config check warns: a primary cannot
// read and answer an SMS that quickly, so deputies would be alerted anyway.
const shortWait = time.Minute

// zeroWaitHint says what to write instead of a wait of 0 at path p.
func zeroWaitHint(p *path) string {
	switch {
	case p.parent != nil && p.parent.key == "defaults":
		return "leave wait out for the built-in 10m, or write a wait such as 5m (at least 1s)"
	case p.parent != nil && p.parent.isItem && p.parent.parent != nil && p.parent.parent.key == "policies":
		return "leave wait out to use defaults.wait (10m unless set), or write a wait such as 5m (at least 1s)"
	}
	return "leave wait out to use the policy's wait (10m unless set), or write a wait such as 5m (at least 1s)"
}
