package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// benchConfig describes a generated configuration for `kaskade-bench`:
// orgs organisations of perOrg people each, every person a root node of
// their organisation's call tree (so the first wave reaches everyone), and
// one extra organisation "TT" with a single person for time-to-first-SMS.
type benchConfig struct {
	Orgs, PerOrg int
	PublicURL    string
	AccountSID   string
	APIURL       string
	Concurrency  int
	// RatePerSecond is the Twilio sender's rate (0: unlimited).
	RatePerSecond float64
	// Tokens are configured API tokens; without any the server generates
	// an admin token (Server.AdminToken).
	Tokens []benchToken
}

// benchToken is an API token of the generated configuration.
type benchToken struct {
	Name, Role, Secret string
}

const (
	benchTokenEnv = "KASKADE_BENCH_TWILIO_TOKEN"
	benchFrom     = "+15005550006"
	benchTTNumber = "+4915299000001"
)

// benchPerson returns the id and mobile number of person i (0-based).
func benchPerson(i int) (id, mobile string) {
	return fmt.Sprintf("p%06d", i), fmt.Sprintf("+49151%08d", i)
}

func benchOrg(o int) string { return fmt.Sprintf("O%04d", o) }

// write writes the YAML to path.
func (c benchConfig) write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintf(w, `version: 1
server:
  public_url: %s
channels:
  console: {as: [email]}
  twilio:
    account_sid: %s
    auth_token: {env: %s}
    from: "%s"
    api_url: %s
    concurrency: %d
    rate_per_second: %g
functions:
  - {id: staff, name: {de: Stab, en: Staff}}
policies:
  - id: sms-only
    wait: 30m
    steps: [{channel: sms, after: 0s}]
organisations:
`, c.PublicURL, c.AccountSID, benchTokenEnv, benchFrom, c.APIURL, c.Concurrency, c.RatePerSecond)
	for o := range c.Orgs {
		// Every answer "1" raises the covered count, so each reply changes readiness.
		fmt.Fprintf(w, "  - {id: %s, name: {de: Org %d, en: Org %d}, call_tree: t%d, readiness: {required: {staff: %d}, target: 2h}}\n",
			benchOrg(o), o, o, o, c.PerOrg)
	}
	fmt.Fprintf(w, "  - {id: TT, name: {de: Erstalarm, en: First alert}, call_tree: tt, readiness: {required: {staff: 1}, target: 2h}}\n")
	// The people are in a CSV beside the file, as the README advises for
	// large staff lists (yaml.v3's parse tree: docs/BENCHMARKS.md).
	peopleFile := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)) + ".people.csv"
	if err := c.writePeople(filepath.Join(filepath.Dir(path), peopleFile)); err != nil {
		f.Close()
		return err
	}
	fmt.Fprintf(w, "people_file: %s\npeople:\n", peopleFile)
	fmt.Fprintf(w, "  - {id: tt1, name: Erste Person, organisation: TT, mobile: \"%s\", functions: [staff]}\n", benchTTNumber)
	fmt.Fprintf(w, "call_trees:\n")
	for o := range c.Orgs {
		fmt.Fprintf(w, "  - id: t%d\n    organisation: %s\n    policy: sms-only\n    nodes:\n", o, benchOrg(o))
		for p := range c.PerOrg {
			id, _ := benchPerson(o*c.PerOrg + p)
			fmt.Fprintf(w, "      - {function: staff, person: %s}\n", id)
		}
	}
	fmt.Fprintf(w, "  - id: tt\n    organisation: TT\n    policy: sms-only\n    nodes:\n      - {function: staff, person: tt1}\n")
	fmt.Fprintf(w, `scenarios:
  - id: fanout
    name: {de: Massenalarm, en: Mass alert}
    severity: crisis
    organisations: [`)
	for o := range c.Orgs {
		if o > 0 {
			w.WriteString(", ")
		}
		w.WriteString(benchOrg(o))
	}
	fmt.Fprintf(w, `]
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Stab bilden.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}. Convene the staff.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
  - id: first
    name: {de: Erstalarm, en: First alert}
    severity: emergency
    organisations: [TT]
    templates:
      de: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
      en: {sms: "{{.SeverityName}} {{.Organisation}}: {{.Title}}.", email_subject: "{{.Title}}", email_body: "{{.Title}}"}
`)
	if len(c.Tokens) > 0 {
		fmt.Fprintf(w, "tokens:\n")
		for _, t := range c.Tokens {
			fmt.Fprintf(w, "  - {name: %s, role: %s, sha256: \"%x\"}\n", t.Name, t.Role, sha256.Sum256([]byte(t.Secret)))
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writePeople writes the organisations' people as a people_file (CSV).
func (c benchConfig) writePeople(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id;name;organisation;mobile;functions\n")
	for o := range c.Orgs {
		for p := range c.PerOrg {
			id, mobile := benchPerson(o*c.PerOrg + p)
			fmt.Fprintf(w, "%s;Person %s;%s;%s;staff\n", id, id, benchOrg(o), mobile)
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
