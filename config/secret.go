package config

// Secret is a credential. It prints and marshals as "<secret>" so it cannot
// leak into logs or `config check` output. In YAML it is written as
// {env: NAME} or {file: PATH}; the loader resolves it.
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

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.String() + `"`), nil }

// NewSecret makes a resolved secret (for tests and generated configurations).
func NewSecret(v string) Secret { return Secret{value: v} }
