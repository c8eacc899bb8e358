package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func loadExample(t *testing.T) *Config {
	t.Helper()
	cfg, probs, err := LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	if probs.Err() != nil {
		t.Fatalf("example has errors:\n%s", probs.Errors())
	}
	t.Logf("example: %d warnings", len(probs.Warnings()))
	for _, w := range probs.Warnings() {
		t.Log(w)
	}
	return cfg
}

func TestExample(t *testing.T) {
	cfg := loadExample(t)
	if name, _ := Example(); cfg.Path != name || !strings.HasPrefix(name, "<embedded>/") {
		t.Errorf("Path = %q", cfg.Path)
	}
	want := []string{"StK", "MI", "MF", "MS", "MK", "MWK", "MW", "ML", "MJ", "MU", "MB"}
	var got []string
	for _, o := range cfg.Organisations {
		got = append(got, o.ID)
		if o.Name.DE == "" || o.Name.EN == "" {
			t.Errorf("%s: names %+v", o.ID, o.Name)
		}
		tree, ok := cfg.TreeFor(o.ID)
		roots, rootFunction := 0, ""
		if ok {
			tree.WalkIndex(func(_, parent int, n *Node) {
				if parent < 0 {
					roots++
					rootFunction = n.Function
				}
			})
		}
		if !ok || roots != 1 || rootFunction != "lead" {
			t.Errorf("%s: want a call tree with the lead at the root", o.ID)
			continue
		}
		tree.Walk(func(n, _ *Node) {
			if len(n.Deputies) == 0 {
				t.Errorf("%s: node %s without deputy", o.ID, n.Person)
			}
		})
	}
	if !slices.Equal(got, want) {
		t.Errorf("organisations = %v", got)
	}
	if cfg.Channels.Twilio != nil || cfg.Channels.Email != nil || len(cfg.Tokens) != 0 {
		t.Error("the example must use the console channel only and carry no tokens")
	}
	mobiles := map[string]bool{}
	english := 0
	for _, p := range cfg.People {
		if !strings.HasPrefix(p.Mobile, "+4915100001") || mobiles[p.Mobile] {
			t.Errorf("%s: mobile %q not unique or outside +49 151 0000xxxx", p.ID, p.Mobile)
		}
		mobiles[p.Mobile] = true
		if !strings.HasSuffix(p.Email, ".niedersachsen.example") {
			t.Errorf("%s: email %q not in an example domain", p.ID, p.Email)
		}
		if p.Language == LangEN {
			english++
		}
	}
	if english == 0 {
		t.Error("want a few English speakers")
	}
	for _, id := range []string{"cyberangriff", "stromausfall", "hochwasser", "pandemie"} {
		s, ok := cfg.Scenario(id)
		if !ok {
			t.Errorf("scenario %s missing", id)
			continue
		}
		for _, lang := range []string{LangDE, LangEN} {
			m := s.Templates[lang]
			if m.SMS == "" || m.EmailSubject == "" || m.EmailBody == "" {
				t.Errorf("%s/%s: incomplete templates", id, lang)
			}
			if len(m.SMS) > 90 {
				t.Errorf("%s/%s: SMS template is %d bytes; keep it short", id, lang, len(m.SMS))
			}
			sample, err := checkTemplate(id, m.SMS, lang)
			if err != nil || nonGSM7(sample) != "" {
				t.Errorf("%s/%s: %v, non-GSM-7 %q", id, lang, err, nonGSM7(sample))
			}
		}
	}
	if h, _ := cfg.Scenario("hochwasser"); len(cfg.ScenarioOrganisations(h)) != 6 {
		t.Errorf("hochwasser organisations: %v", cfg.ScenarioOrganisations(h))
	}
	if c, _ := cfg.Scenario("cyberangriff"); len(cfg.ScenarioOrganisations(c)) != 11 {
		t.Error("an empty organisation list means all")
	}
}

func TestLookups(t *testing.T) {
	cfg := loadExample(t)
	first := cfg.People[0]

	if p, ok := cfg.Person(first.ID); !ok || p != &cfg.People[0] {
		t.Error("Person")
	}
	if _, ok := cfg.Person("nobody"); ok {
		t.Error("Person(nobody)")
	}
	if p, ok := cfg.PersonByMobile("+4915100001001"); !ok || p.ID != first.ID {
		t.Errorf("PersonByMobile: %v %v", p, ok)
	}
	if p, ok := cfg.PersonByEmail(strings.ToUpper(first.Email)); !ok || p.ID != first.ID {
		t.Error("PersonByEmail must ignore case")
	}
	if o, ok := cfg.Organisation("MI"); !ok || o.Name.In(LangEN) == o.Name.In(LangDE) {
		t.Error("Organisation")
	}
	if f, ok := cfg.Function("facilities"); !ok || f.Name.DE != "Liegenschaften/Infrastruktur" {
		t.Error("Function")
	}
	pol, ok := cfg.Policy("standard")
	if !ok || pol.Wait.D() != 10*time.Minute || pol.Steps[1].If != IfNotDelivered || pol.Steps[0].If != IfNoAnswer {
		t.Errorf("Policy: %+v", pol)
	}
	tree, ok := cfg.TreeFor("MI")
	if !ok || tree.ID != "mi" {
		t.Fatal("TreeFor")
	}
	if ct, ok := cfg.CallTree("mi"); !ok || ct != tree {
		t.Error("CallTree")
	}
	nodes := flatNodes(tree)
	lead, it := &nodes[0].Node, &nodes[1].Node
	if it.Function != "it" || nodes[1].Parent != 0 {
		t.Fatalf("want the IT node as the lead's first child: %+v", nodes)
	}
	if cfg.PolicyFor(tree, it) != pol {
		t.Error("PolicyFor")
	}
	if cfg.NodeWait(tree, lead) != 5*time.Minute || cfg.NodeWait(tree, it) != 10*time.Minute {
		t.Errorf("NodeWait: %v %v", cfg.NodeWait(tree, lead), cfg.NodeWait(tree, it))
	}

	de, en := cfg.Templates("cyberangriff", LangDE), cfg.Templates("cyberangriff", LangEN)
	if de.SMS == "" || en.SMS == "" || de.SMS == en.SMS {
		t.Error("Templates de/en")
	}
	if fr := cfg.Templates("cyberangriff", "fr"); fr != de {
		t.Error("Templates must fall back to German")
	}
	if (cfg.Templates("nope", LangDE) != MessageTemplates{}) {
		t.Error("Templates of an unknown scenario")
	}
	if s := cfg.System(LangEN); !strings.Contains(s.StandDown.SMS, "All clear") || s.Replies.Unknown == "" {
		t.Errorf("System(en): %+v", s)
	}
	if cfg.ReadinessTarget(nil, "MI") != 30*time.Minute {
		t.Error("ReadinessTarget")
	}
	if p, _ := cfg.Scenario("pandemie"); cfg.ReadinessTarget(p, "MI") != time.Hour {
		t.Error("scenario target overrides")
	}
}

func TestDefaults(t *testing.T) {
	src := base + `channels:
  twilio:
    account_sid: AC00000000000000000000000000000000
    auth_token: {env: SET_VAR}
    from: "+15005550006"
  email:
    host: smtp.niedersachsen.example
    from: kaskade@niedersachsen.example
server:
  public_url: https://kaskade.niedersachsen.example
`
	cfg, probs, err := LoadBytes("d.yaml", []byte(src), testEnv)
	if err != nil || probs.Err() != nil {
		t.Fatalf("%v\n%s", err, probs)
	}
	d, tw, em := cfg.Defaults, cfg.Channels.Twilio, cfg.Channels.Email
	checks := []struct {
		name     string
		got, wnt any
	}{
		{"language", d.Language, "de"},
		{"region", d.Region, "DE"},
		{"target", d.Target.D(), 30 * time.Minute},
		{"wait", d.Wait.D(), 10 * time.Minute},
		{"ack_ttl", cfg.Server.AckTTL.D(), 24 * time.Hour},
		{"console.as", strings.Join(cfg.Channels.Console.As, ","), "sms,email"},
		{"twilio api_url", tw.APIURL, "https://api.twilio.com"},
		{"twilio validity", tw.ValidityPeriod.D(), 15 * time.Minute},
		{"twilio concurrency", tw.Concurrency, 50},
		{"twilio timeout", tw.Timeout.D(), 10 * time.Second},
		{"email port", em.Port, 587},
		{"email tls", em.TLS, "mandatory"},
		{"email timeout", em.Timeout.D(), 15 * time.Second},
		{"person language", cfg.People[0].Language, "de"},
		{"org kind", cfg.Organisations[0].Kind, KindMinistry},
		{"org target", cfg.Organisations[0].Readiness.Target.D(), 30 * time.Minute},
		{"mobile E.164", cfg.People[1].Mobile, "+4915100001002"},
		{"builtin policy", cfg.PolicyFor(&cfg.CallTrees[0], nil).ID, "builtin"},
		{"builtin policy wait", cfg.NodeWait(&cfg.CallTrees[0], &flatNodes(&cfg.CallTrees[0])[0].Node), 10 * time.Minute},
	}
	for _, c := range checks {
		if c.got != c.wnt {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.wnt)
		}
	}
}

// TestValidateInGo covers configurations built in Go rather than loaded.
func TestValidateInGo(t *testing.T) {
	cfg := &Config{Path: "go", Version: 1, Organisations: []Organisation{{ID: "MI", Name: Localized{DE: "MI"}}}}
	probs := cfg.Validate()
	if probs.Err() != nil {
		t.Fatal(probs)
	}
	if _, ok := cfg.Organisation("MI"); !ok {
		t.Error("lookup after Validate")
	}
	if len(probs.Warnings()) != 1 || !strings.Contains(probs[0].String(), "go: organisations[0]: ") {
		t.Errorf("want a no-call-tree warning without line: %s", probs)
	}
}

func TestEmailListenerOptions(t *testing.T) {
	head := base + "channels:\n  email:\n    host: smtp.niedersachsen.example\n    from: kaskade@niedersachsen.example\n    reply_to: antwort@LAGE.example\n    listener:\n      addr: 127.0.0.1:2525\n      domain: lage.example\n"
	for _, tc := range []struct{ name, extra, wantErr string }{
		{"all set", "      tls_cert_file: c.pem\n      tls_key_file: k.pem\n      require_tls: true\n      authserv_id: mx.lage.example\n      require_auth_pass: true\n      reject_limit: 3\n      reject_window: 30m\n", ""},
		{"cert without key", "      tls_cert_file: c.pem\n", "tls_cert_file and tls_key_file go together"},
		{"require tls without cert", "      require_tls: true\n", "require_tls: needs tls_cert_file"},
		{"auth pass without authserv", "      require_auth_pass: true\n", "require_auth_pass: needs authserv_id"},
		{"negative limit", "      reject_limit: -1\n", "must not be negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, probs, err := LoadBytes("l.yaml", []byte(head+tc.extra), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr == "" {
				if probs.Err() != nil {
					t.Fatal(probs)
				}
				l := cfg.Channels.Email.Listener
				if l.AuthServID != "mx.lage.example" || l.RejectLimit != 3 || l.RejectWindow.D() != 30*time.Minute || !l.RequireTLS {
					t.Errorf("listener %+v", l)
				}
				return
			}
			if probs.Err() == nil || !strings.Contains(probs.String(), tc.wantErr) {
				t.Fatalf("problems %q, want %q", probs, tc.wantErr)
			}
		})
	}
}

// Replies go to reply_to plus-addresses and the listener accepts only its
// own domain's: without reply_to, or with another domain, none would arrive.
func TestEmailListenerReplyDomain(t *testing.T) {
	for _, tc := range []struct{ name, replyTo, wantErr string }{
		{"same domain, other case", "    reply_to: antwort@LAGE.example\n", ""},
		{"no reply_to", "", "reply_to: is required with a listener"},
		{"other domain", "    reply_to: antwort@niedersachsen.example\n", `"lage.example" is not the domain of reply_to`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := base + "channels:\n  email:\n    host: smtp.niedersachsen.example\n    from: kaskade@niedersachsen.example\n" +
				tc.replyTo + "    listener:\n      addr: 127.0.0.1:2525\n      domain: lage.example\n"
			_, probs, err := LoadBytes("l.yaml", []byte(doc), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantErr == "" {
				if probs.Err() != nil {
					t.Fatal(probs)
				}
				return
			}
			if probs.Err() == nil || !strings.Contains(probs.String(), tc.wantErr) {
				t.Fatalf("problems %q, want %q", probs, tc.wantErr)
			}
		})
	}
}
