package config

import (
	"fmt"
	"log/slog"
)

// Secret is a credential. It prints and marshals as "<secret>" so it cannot
// leak into logs or `config check` output. In YAML it is written as
// {env: NAME} or {file: PATH}; the loader resolves it. A plain string is
// accepted with a warning (secrets belong outside the file).
type Secret struct {
	Env   string `yaml:"env"`
	File  string `yaml:"file"`
	value string
}

// Value returns the resolved secret.
func (s Secret) Value() string { return s.value }

// IsSet reports whether the secret resolved to a non-empty value.
func (s Secret) IsSet() bool { return s.value != "" }

// String hides the value.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "<secret>"
}

// GoString hides the value from %#v, which would otherwise print the
// unexported field.
func (s Secret) GoString() string { return fmt.Sprintf("config.Secret(%q)", s.String()) }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// MarshalYAML hides the value, so a dumped configuration is safe to share.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue hides the value from log/slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// NewSecret makes a resolved secret (for tests and generated configurations).
func NewSecret(v string) Secret { return Secret{value: v} }
