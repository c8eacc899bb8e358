package config

import "reflect"

// restartOnly are the settings read once when Kaskade starts: the NATS
// connection or embedded server, the channel clients and listeners, link
// signing and the HTTP limits. Everything else (organisations, people,
// functions, call trees, policies, scenarios, templates, defaults, tokens)
// a reload puts in force.
var restartOnly = []struct {
	path string
	get  func(*Config) any
}{
	{"nats", func(c *Config) any { return c.NATS }},
	{"channels.console", func(c *Config) any { return c.Channels.Console }},
	{"channels.twilio", func(c *Config) any { return c.Channels.Twilio }},
	{"channels.email", func(c *Config) any { return c.Channels.Email }},
	{"channels", func(c *Config) any { return c.Channels }}, // a field added later
	{"server.public_url", func(c *Config) any { return c.Server.PublicURL }},
	{"server.ack_keys", func(c *Config) any { return c.Server.AckKeys }},
	{"server.ack_ttl", func(c *Config) any { return c.Server.AckTTL }},
	{"server.trusted_proxies", func(c *Config) any { return c.Server.TrustedProxies }},
	{"server.sms_segment_budget", func(c *Config) any { return c.Server.SMSSegmentBudget }},
	{"server.declaration_rate", func(c *Config) any { return c.Server.DeclarationRate }},
	{"server.provider_retry_for", func(c *Config) any { return c.Server.ProviderRetryFor }},
	{"server", func(c *Config) any { return c.Server }}, // a field added later
}

// RestartOnly names the settings that differ between the running
// configuration and next but take effect only at a start (secret values
// included, never shown). An empty result means next can be put in force
// by a reload.
func RestartOnly(running, next *Config) []string {
	var out []string
	named := map[string]bool{}
	for _, s := range restartOnly {
		if reflect.DeepEqual(s.get(running), s.get(next)) {
			continue
		}
		if (s.path == "channels" || s.path == "server") && named[s.path] {
			continue // already named field by field
		}
		out = append(out, s.path)
		named[parent(s.path)] = true
	}
	return out
}

func parent(path string) string {
	for i := range path {
		if path[i] == '.' {
			return path[:i]
		}
	}
	return path
}
