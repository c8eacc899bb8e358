package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/config"
)

// orgStatus prints one organisation's call tree with every person's state
// (`kaskade status K1 MI`).
func orgStatus(ctx context.Context, c *client, w io.Writer, incident, org string) error {
	var d activation.OrgDetail
	if err := c.do(ctx, "GET", "/api/v1/incidents/"+incident+"/organisations/"+org, nil, &d); err != nil {
		return err
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	r := d.Readiness
	fmt.Fprintf(w, "%s %s: %s, fehlt: %s\n\n", r.Incident, r.Org, stateDE[r.State], dash(strings.Join(r.Missing, ",")))
	fmt.Fprintln(w, "FUNKTION\tPERSON\tROLLE\tALARMIERT\tZUSTELLUNG\tANTWORT\tETA")
	clock := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.In(berlin).Format("15:04")
	}
	for _, n := range d.Nodes {
		for i, p := range n.Tiers {
			fn := strings.Repeat("  ", n.Depth) + n.Function
			if i > 0 {
				fn = ""
			}
			role := "Primär"
			if p.Deputy {
				role = "Vertretung"
			}
			alerted := "nicht alarmiert"
			if p.Alerted {
				alerted = clock(p.AlertedAt)
			}
			delivery := dash(p.Notification)
			if len(p.FailedChans) > 0 {
				delivery += " (fehlgeschlagen: " + strings.Join(p.FailedChans, ",") + ")"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", fn, p.Name, role, alerted, delivery, answerDE[p.Answer], clock(p.ETA))
		}
	}
	return nil
}

var answerDE = map[activation.ResponseKind]string{
	"":                     "-",
	activation.Available:   "kommt",
	activation.Delayed:     "kommt später",
	activation.Unavailable: "nicht verfügbar",
}

// printSegments shows the size of the declared incident's alert SMS in
// each language read, from the configuration file at path: the actual
// title and message with each organisation's name and the longest
// function and person names.
func printSegments(w io.Writer, path string, inc activation.IncidentView) {
	cfg, _, err := config.Load(path)
	if err != nil || cfg == nil {
		fmt.Fprintf(w, "SMS-Länge nicht geprüft: %s lässt sich nicht laden (kaskade config check %s)\n", path, path)
		return
	}
	orgs := make([]string, len(inc.Organisations))
	for i, o := range inc.Organisations {
		orgs[i] = o.Org
	}
	for _, lang := range readLanguages(cfg) {
		d := config.TemplateData{Title: inc.Title, Message: inc.Message, Severity: inc.Severity, SeverityName: config.SeverityName(inc.Severity, lang),
			Exercise: inc.Exercise, ReplyCode: inc.ReplyCode, Scenario: inc.Scenario, DeclaredAt: inc.DeclaredAt, Person: longestPerson(cfg)}
		size, err := longestAlertSMS(cfg, inc.Scenario, lang, orgs, d)
		if err != nil || size.Units == 0 {
			continue
		}
		line := fmt.Sprintf("Alarm-SMS (%s): %d Segment(e), %d %s-Zeichen (längster Text: %s)", lang, size.Segments, size.Units, size.Encoding, size.Org)
		if budget := cfg.Server.SMSSegmentBudget; size.Segments > budget {
			line = fmt.Sprintf("Achtung: %s – mehr als das Budget von %d (server.sms_segment_budget)", line, budget)
		}
		fmt.Fprintln(w, line)
	}
}

// readLanguages are the languages someone reads: German always, English
// when the default or a person's language is English.
func readLanguages(cfg *config.Config) []string {
	if cfg.Defaults.Language == config.LangEN {
		return []string{config.LangDE, config.LangEN}
	}
	for i := range cfg.People {
		if cfg.People[i].Language == config.LangEN {
			return []string{config.LangDE, config.LangEN}
		}
	}
	return []string{config.LangDE}
}
