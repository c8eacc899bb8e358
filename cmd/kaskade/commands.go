package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
)

func declareCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("declare", flag.ContinueOnError)
	connect := clientFlags(fs)
	var d alerting.Declaration
	var orgs string
	fs.StringVar(&d.Scenario, "scenario", "", "scenario id (cyberangriff, stromausfall, hochwasser, pandemie, …)")
	fs.StringVar(&d.Title, "title", "", "title (default: the scenario's name)")
	fs.StringVar(&d.Severity, "severity", "", "disruption, emergency or crisis (default: the scenario's)")
	fs.StringVar(&orgs, "org", "", "comma-separated organisations (default: the scenario's)")
	fs.BoolVar(&d.Exercise, "exercise", false, "this is an exercise (Übung): every message is marked ÜBUNG")
	fs.StringVar(&d.Reason, "reason", "", "why (recorded with the decision)")
	fs.StringVar(&d.Message, "message", "", "situation text for the alert")
	fs.StringVar(&d.DeclaredBy, "by", os.Getenv("USER"), "who decides (default: $USER)")
	fs.StringVar(&d.ID, "id", "", "client id: the same id never activates twice")
	cfgPath := fs.String("config", os.Getenv("KASKADE_CONFIG"), "the server's configuration file: show the SMS segments of the actual alert (env KASKADE_CONFIG)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if d.Scenario == "" || d.Reason == "" {
		return usageError{"declare needs --scenario and --reason"}
	}
	if orgs != "" {
		d.Organisations = strings.Split(orgs, ",")
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var res struct {
		IncidentID string                  `json:"incident_id"`
		Duplicate  bool                    `json:"duplicate"`
		Incident   activation.IncidentView `json:"incident"`
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents", d, &res); err != nil {
		return err
	}
	if res.Duplicate {
		fmt.Fprintf(stdout, "Bereits ausgerufen: %s (nichts Neues angelegt)\n", res.IncidentID)
		return nil
	}
	kind := "Ernstfall"
	if res.Incident.Exercise {
		kind = "ÜBUNG"
	}
	fmt.Fprintf(stdout, "%s ausgerufen: %s – %s (%s), %d Ressorts werden alarmiert.\nStatus: kaskade status %s\n",
		kind, res.IncidentID, res.Incident.Title, res.Incident.Severity, len(res.Incident.Organisations), res.IncidentID)
	if *cfgPath != "" {
		printSegments(stdout, *cfgPath, res.Incident)
	}
	return nil
}

var stateDE = map[activation.ReadinessState]string{
	activation.NotActivated: "nicht alarmiert",
	activation.Alerting:     "Alarmierung läuft",
	activation.Forming:      "Stab bildet sich",
	activation.Ready:        "ARBEITSFÄHIG",
	activation.Degraded:     "beeinträchtigt",
	activation.AtRisk:       "GEFÄHRDET",
	activation.StoodDown:    "beendet",
}

func statusCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	connect := clientFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	c, err := connect()
	if err != nil {
		return err
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tw := tabwriter.NewWriter(stdout, 0, 2, 2, ' ', 0)
	defer tw.Flush()
	if fs.NArg() == 0 {
		var list struct {
			Incidents []activation.IncidentView `json:"incidents"`
		}
		if err := c.do(ctx, "GET", "/api/v1/incidents", nil, &list); err != nil {
			return err
		}
		fmt.Fprintln(tw, "LAGE\tSZENARIO\tSTUFE\tÜBUNG\tSTATUS\tAUSGERUFEN\tBEREIT")
		for _, v := range list.Incidents {
			ready := 0
			for _, o := range v.Organisations {
				if o.State == activation.Ready || o.State == activation.StoodDown && o.Reached == activation.Ready {
					ready++
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\n", v.ID, v.Scenario, v.Severity, yesNo(v.Exercise), v.Status,
				v.DeclaredAt.In(berlin).Format("02.01. 15:04"), ready, len(v.Organisations))
		}
		return nil
	}
	if fs.NArg() > 1 {
		return orgStatus(ctx, c, tw, fs.Arg(0), fs.Arg(1))
	}
	var v activation.IncidentView
	if err := c.do(ctx, "GET", "/api/v1/incidents/"+fs.Arg(0), nil, &v); err != nil {
		return err
	}
	if v.Exercise {
		fmt.Fprintln(tw, "*** ÜBUNG ***")
	}
	fmt.Fprintf(tw, "%s %s – %s (%s), ausgerufen %s von %s: %s\n\n", v.ID, v.Scenario, v.Title, v.Severity,
		v.DeclaredAt.In(berlin).Format("02.01.2006 15:04"), v.DeclaredBy, v.Reason)
	writeOrgStatus(tw, v.Organisations, berlin)
	return nil
}

// writeOrgStatus prints one line per organisation. KOMMEN counts everyone
// coming: SOFORT (available) and SPÄTER (delayed); a stood-down
// organisation shows the readiness it reached.
func writeOrgStatus(tw io.Writer, orgs []activation.OrgReadiness, berlin *time.Location) {
	fmt.Fprintln(tw, "RESSORT\tSTATUS\tFUNKTIONEN\tFEHLT\tKOMMEN\tSOFORT\tSPÄTER\tLETZTE ETA\tZIEL")
	for _, o := range orgs {
		req, cov := 0, 0
		for f, n := range o.Required {
			req += n
			cov += min(o.Covered[f], n)
		}
		eta := "-"
		if o.LatestETA != nil {
			eta = o.LatestETA.In(berlin).Format("15:04")
		}
		state := stateDE[o.State]
		if o.State == activation.StoodDown {
			state = "beendet, erreicht: " + stateDE[o.Reached]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%d\t%d\t%d\t%s\t%s\n", o.Org, state, cov, req, dash(strings.Join(o.Missing, ",")),
			o.Coming, o.Available, o.Delayed, eta, o.Deadline.In(berlin).Format("15:04"))
	}
}

func yesNo(b bool) string {
	if b {
		return "ja"
	}
	return "nein"
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func respondCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("respond", flag.ContinueOnError)
	connect := clientFlags(fs)
	incident := fs.String("incident", "", "incident id (e.g. K1)")
	person := fs.String("person", "", "person id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *incident == "" || *person == "" || fs.NArg() == 0 {
		return usageError{"usage: kaskade respond --incident ID --person ID available|delayed MINUTES|unavailable"}
	}
	body := map[string]any{"person": *person, "kind": fs.Arg(0)}
	if fs.Arg(0) == "delayed" {
		m, err := strconv.Atoi(fs.Arg(1))
		if err != nil {
			return usageError{"delayed needs minutes, e.g. delayed 30"}
		}
		body["minutes"] = m
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var out struct {
		Answer    string                    `json:"answer"`
		Readiness []activation.OrgReadiness `json:"readiness"`
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents/"+*incident+"/responses", body, &out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Rückmeldung erfasst: %s → %s\n", *person, out.Answer)
	for _, r := range out.Readiness {
		fmt.Fprintf(stdout, "%s: %s (fehlt: %s)\n", r.Org, stateDE[r.State], dash(strings.Join(r.Missing, ",")))
	}
	return nil
}

func updateCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	connect := clientFlags(fs)
	incident := fs.String("incident", "", "incident id")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *incident == "" {
		return errNeedIncident
	}
	text := strings.Join(fs.Args(), " ")
	if text == "" {
		return usageError{"usage: kaskade update --incident ID TEXT"}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents/"+*incident+"/updates", map[string]string{"text": text}, nil); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Lagemeldung versandt.")
	return nil
}

func standDownCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("stand-down", flag.ContinueOnError)
	connect := clientFlags(fs)
	incident := fs.String("incident", "", "incident id")
	reason := fs.String("reason", "", "reason (sent to everyone reached)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *incident == "" || *reason == "" {
		return usageError{"usage: kaskade stand-down --incident ID --reason TEXT"}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents/"+*incident+"/stand-down", map[string]string{"reason": *reason}, nil); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "Entwarnung versandt; alle Eskalationen sind beendet.")
	return nil
}
