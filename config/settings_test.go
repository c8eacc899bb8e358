package config

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The nats and server settings that the server wiring reads: defaults,
// paths relative to the file, secrets, and every mistake with its line.
func TestNATSAndServerSettings(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"kaskade.creds", "ca.pem", "client.pem", "client.key", "server.pem", "server.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := strings.Replace(base, "version: 1\n", `version: 1
nats:
  url: tls://nats-1.example:4222,tls://nats-2.example:4222
  creds_file: kaskade.creds
  ca_file: ca.pem
  cert_file: client.pem
  key_file: `+filepath.Join(dir, "client.key")+`
  tls: {cert_file: server.pem, key_file: server.key, ca_file: ca.pem}
server:
  trusted_proxies: [10.0.0.0/8, "2001:db8::/32"]
  sms_segment_budget: 2
  provider_retry_for: 5m
  declaration_rate: {real: 20/1m, exercise: 1/30s}
  retention: {real: 8760h, exercise: 2160h, unknown_senders: 720h, outbox: 168h}
`, 1)
	cfg, probs, err := LoadBytes(filepath.Join(dir, "k.yaml"), []byte(src), testEnv)
	if err != nil || cfg == nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	n := cfg.NATS
	if n.URL != "tls://nats-1.example:4222,tls://nats-2.example:4222" || n.CredsFile != filepath.Join(dir, "kaskade.creds") ||
		n.CAFile != filepath.Join(dir, "ca.pem") || n.CertFile != filepath.Join(dir, "client.pem") || n.KeyFile != filepath.Join(dir, "client.key") ||
		n.TLS.CertFile != filepath.Join(dir, "server.pem") || n.TLS.KeyFile != filepath.Join(dir, "server.key") || n.TLS.CAFile != filepath.Join(dir, "ca.pem") {
		t.Errorf("nats = %+v", n)
	}
	s := cfg.Server
	if len(s.TrustedProxies) != 2 || s.TrustedProxies[1] != netip.MustParsePrefix("2001:db8::/32") || s.SMSSegmentBudget != 2 ||
		s.ProviderRetryFor.D() != 5*time.Minute ||
		s.DeclarationRate.Real != (Rate{Count: 20, Per: Duration(time.Minute)}) || s.DeclarationRate.Exercise != (Rate{Count: 1, Per: Duration(30 * time.Second)}) ||
		s.Retention != (Retention{Real: Duration(8760 * time.Hour), Exercise: Duration(2160 * time.Hour), UnknownSenders: Duration(720 * time.Hour), Outbox: Duration(168 * time.Hour)}) {
		t.Errorf("server = %+v", s)
	}

	cfg, probs, err = LoadBytes("k.yaml", []byte(base), testEnv)
	if err != nil || cfg == nil {
		t.Fatalf("err=%v\n%s", err, probs)
	}
	s = cfg.Server
	if s.SMSSegmentBudget != 3 || s.ProviderRetryFor.D() != DefaultProviderRetryFor || s.DeclarationRate.Real != (Rate{Count: 10, Per: Duration(time.Hour)}) ||
		s.DeclarationRate.Exercise != (Rate{Count: 60, Per: Duration(time.Hour)}) || s.TrustedProxies != nil || cfg.NATS.URL != "" {
		t.Errorf("defaults: server = %+v, nats = %+v", s, cfg.NATS)
	}
}

func TestNATSAndServerSettingProblems(t *testing.T) {
	for _, tc := range []struct {
		name, add string // added after "version: 1", with a "# HERE" marker
		severity  Severity
		path      string
		message   string
	}{
		{"user and password", "nats:\n  url: nats://n:4222\n  user: kaskade\n  password: {env: SET_VAR}\n  creds_file: x # HERE\n",
			Error, "nats", "use one of creds_file, nkey_file, user"},
		{"user without password", "nats:\n  url: nats://n:4222\n  user: kaskade # HERE\n",
			Error, "nats.password", "is required with user"},
		{"password without user", "nats:\n  url: nats://n:4222\n  password: {env: SET_VAR} # HERE\n",
			Error, "nats.user", "password needs a user"},
		{"password from an unset variable", "nats:\n  url: nats://n:4222\n  user: k\n  password: {env: UNSET} # HERE\n",
			Error, "nats.password", "UNSET is not set"},
		{"bad url", "nats:\n  url: http://n:4222 # HERE\n",
			Error, "nats.url", "nats://, tls://, ws:// or wss://"},
		{"password in the url", "nats:\n  url: nats://k:hunter2@n:4222 # HERE\n",
			Error, "nats.url", "put the password in nats.password"},
		{"cert without key", "nats:\n  url: nats://n:4222\n  cert_file: /etc/hosts # HERE\n",
			Error, "nats", "cert_file and key_file go together"},
		{"missing file", "nats:\n  url: nats://n:4222\n  ca_file: /nonexistent/ca.pem # HERE\n",
			Error, "nats.ca_file", "cannot read"},
		{"server tls ca without cert", "nats:\n  tls: {ca_file: /etc/hosts} # HERE\n",
			Error, "nats.tls", "ca_file needs cert_file and key_file"},
		{"credentials without url", "nats:\n  creds_file: /etc/hosts # HERE\n",
			Warning, "nats", "only used with an external NATS"},
		{"bad proxy", "server:\n  trusted_proxies: [10.0.0.1] # HERE\n",
			Error, "server.trusted_proxies[0]", "expected a CIDR such as 10.0.0.0/8"},
		{"proxy with host bits", "server:\n  trusted_proxies: [10.0.0.1/8] # HERE\n",
			Error, "server.trusted_proxies[0]", "write 10.0.0.0/8"},
		{"every IPv4 client a proxy", "server:\n  trusted_proxies: [10.0.0.0/8, 0.0.0.0/0] # HERE\n",
			Warning, "server.trusted_proxies[1]", "trusts every client as a proxy"},
		{"every IPv6 client a proxy", "server:\n  trusted_proxies: [\"::/0\"] # HERE\n",
			Warning, "server.trusted_proxies[0]", "evade the per-address limits"},
		{"budget too high", "server:\n  sms_segment_budget: 11 # HERE\n",
			Error, "server.sms_segment_budget", "between 1 and 10"},
		{"budget negative", "server:\n  sms_segment_budget: -1 # HERE\n",
			Error, "server.sms_segment_budget", "between 1 and 10"},
		{"retry budget too long", "server:\n  provider_retry_for: 2h # HERE\n",
			Error, "server.provider_retry_for", "between 1s and 1h0m0s, got 2h0m0s"},
		{"retry budget too short", "server:\n  provider_retry_for: 500ms # HERE\n",
			Error, "server.provider_retry_for", "between 1s and 1h0m0s"},
		{"bad rate", "server:\n  declaration_rate: {real: 10 per minute} # HERE\n",
			Error, "server.declaration_rate.real", `expected a rate such as 10/1m`},
		{"zero rate", "server:\n  declaration_rate: {exercise: 0/1m} # HERE\n",
			Error, "server.declaration_rate.exercise", "at least 1"},
		{"rate per 0", "server:\n  declaration_rate: {exercise: 5/0s} # HERE\n",
			Error, "server.declaration_rate.exercise", "at least 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := edit(t, "version: 1\n", "version: 1\n"+tc.add)
			line := markedLine(t, src)
			_, probs, err := LoadBytes("test.yaml", []byte(src), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range probs {
				if p.Severity == tc.severity && p.Path == tc.path && (p.Line == line || p.Line == line-strings.Count(tc.add, "\n")+1) && strings.Contains(p.Message, tc.message) {
					return
				}
			}
			t.Errorf("want %v at line %d (or its section): %s: …%s…\ngot:\n%s", tc.severity, line, tc.path, tc.message, probs)
		})
	}
}
