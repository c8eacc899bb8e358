package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "s3cr3t-value"
	s := NewSecret(value)
	holder := struct {
		Token Secret
		Ptr   *Secret
	}{s, &s}
	ch := &TwilioChannel{AuthToken: s}

	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "secret", s, "twilio", ch)
	js, _ := json.Marshal(holder)
	ym, _ := yaml.Marshal(holder)

	outputs := map[string]string{
		"%v":     fmt.Sprintf("%v", s),
		"%+v":    fmt.Sprintf("%+v", s),
		"%#v":    fmt.Sprintf("%#v", s),
		"%s":     fmt.Sprintf("%s", s),
		"%q":     fmt.Sprintf("%q", s),
		"struct": fmt.Sprintf("%v %+v %#v", holder, holder, holder),
		"ptr":    fmt.Sprintf("%v %+v", ch, ch),
		"json":   string(js),
		"yaml":   string(ym),
		"slog":   logged.String(),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s leaks the secret: %s", name, out)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(js, &back); err != nil || back["Token"] != "<secret>" || back["Ptr"] != "<secret>" {
		t.Errorf("json: %s (%v)", js, err)
	}
	if outputs["%v"] != "<secret>" {
		t.Errorf("%%v: %s", outputs["%v"])
	}
	if s.Value() != value || !s.IsSet() {
		t.Error("Value must still return the secret")
	}
}

func TestSecretResolution(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "key"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	src := base + `server:
  ack_keys:
    - {env: SET_VAR}
    - {file: key}
    - {file: ` + filepath.Join(dir, "key") + `}
`
	cfg, probs, err := LoadBytes(filepath.Join(dir, "kaskade.yaml"), []byte(src), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v\n%s", err, probs)
	}
	keys := cfg.Server.AckKeys
	if keys[0].Value() != "s3cr3t-value" || keys[0].Env != "SET_VAR" {
		t.Errorf("env secret: %q %q", keys[0].Value(), keys[0].Env)
	}
	if keys[1].Value() != "from-file" || keys[2].Value() != "from-file" {
		t.Errorf("file secret (relative to the config file, trailing newline trimmed): %q %q", keys[1].Value(), keys[2].Value())
	}
	if strings.Contains(probs.String(), "s3cr3t") {
		t.Error("problems mention the value")
	}
}

// TestSecretProblemsHideValue checks that messages about secrets name the
// variable or file but not a value.
func TestSecretProblemsHideValue(t *testing.T) {
	src := base + "server:\n  ack_keys:\n    - {env: SET_VAR, file: x}\n    - plain-secret-value\n"
	_, probs, _ := LoadBytes("t.yaml", []byte(src), testEnv)
	out := probs.String()
	if strings.Contains(out, "s3cr3t") || strings.Contains(out, "plain-secret-value") {
		t.Errorf("value leaked into problems:\n%s", out)
	}
	if !strings.Contains(out, "either env or file") {
		t.Errorf("want both-given error:\n%s", out)
	}
}
