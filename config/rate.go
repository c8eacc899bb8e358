package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Rate is a number of events per period, written "10/1m" in YAML.
type Rate struct {
	Count int
	Per   Duration
}

// String writes the rate as the loader reads it ("10/1m0s").
func (r Rate) String() string { return strconv.Itoa(r.Count) + "/" + r.Per.String() }

// MarshalText writes the rate as the loader reads it.
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads "10/1m": at least 1 per at least 1s.
func (r *Rate) UnmarshalText(b []byte) error {
	count, per, ok := strings.Cut(string(b), "/")
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if !ok || err != nil {
		return fmt.Errorf("expected a rate such as 10/1m (ten per minute), got %q", b)
	}
	d, err := ParseDuration(strings.TrimSpace(per))
	switch {
	case err != nil:
		return fmt.Errorf("expected a rate such as 10/1m (ten per minute), got %q: %w", b, err)
	case n < 1:
		return fmt.Errorf("rate %q: the count must be at least 1", b)
	case d.D() < time.Second:
		return fmt.Errorf("rate %q: the period must be at least 1s", b)
	}
	*r = Rate{Count: n, Per: d}
	return nil
}
