package config

import (
	"net/netip"
	"slices"
	"testing"
)

func TestRestartOnly(t *testing.T) {
	load := func() *Config {
		c, probs, err := LoadExample()
		if err != nil || probs.Err() != nil {
			t.Fatal(err, probs)
		}
		return c
	}
	for _, tc := range []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"nothing", func(*Config) {}, nil},
		{"people, trees, scenarios, tokens", func(c *Config) {
			c.People = c.People[1:]
			c.CallTrees[0].Policy = "x"
			c.Scenarios = c.Scenarios[:1]
			c.Tokens = append(c.Tokens, APIToken{Name: "neu", Role: RoleViewer})
			c.Defaults.Wait = Duration(1)
		}, nil},
		{"nats url", func(c *Config) { c.NATS.URL = "nats://elsewhere:4222" }, []string{"nats"}},
		{"nats password value only", func(c *Config) { c.NATS.Password.value = "rotated" }, []string{"nats"}},
		{"twilio added", func(c *Config) { c.Channels.Twilio = &TwilioChannel{AccountSID: "AC1"} }, []string{"channels.twilio"}},
		{"console and public url", func(c *Config) {
			c.Channels.Console.Disabled = !c.Channels.Console.Disabled
			c.Server.PublicURL = "https://kaskade.example.de"
		}, []string{"channels.console", "server.public_url"}},
		{"trusted proxies and rates", func(c *Config) {
			c.Server.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			c.Server.DeclarationRate.Real.Count++
		}, []string{"server.trusted_proxies", "server.declaration_rate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			running, next := load(), load()
			tc.change(next)
			if got := RestartOnly(running, next); !slices.Equal(got, tc.want) {
				t.Fatalf("RestartOnly = %v, want %v", got, tc.want)
			}
		})
	}
}
