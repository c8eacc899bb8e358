package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
)

// drillCmd starts an alerting drill: an exercise for chosen organisations,
// announced or not, optionally only for deputies, with its own target.
func drillCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	connect := clientFlags(fs)
	var (
		d         alerting.Declaration
		orgs      string
		announced bool
		deputies  bool
		target    string
	)
	fs.StringVar(&orgs, "org", "", "comma-separated organisations (default: the scenario's)")
	fs.StringVar(&d.Scenario, "scenario", "cyberangriff", "scenario whose texts the drill uses")
	fs.StringVar(&d.Title, "title", "", "title (default: Alarmierungsübung <scenario>)")
	fs.StringVar(&d.Reason, "reason", "Alarmierungsübung nach BSI 200-4", "why (recorded)")
	fs.StringVar(&d.DeclaredBy, "by", os.Getenv("USER"), "who starts the drill")
	fs.BoolVar(&announced, "announced", false, "the drill was announced to the staff")
	fs.BoolVar(&deputies, "deputies-only", false, "alert the deputies instead of the primaries")
	fs.StringVar(&target, "target", "30m", "all required functions acknowledged within")
	if err := parse(fs, args); err != nil {
		return err
	}
	if orgs != "" {
		d.Organisations = strings.Split(orgs, ",")
	}
	d.Exercise = true
	d.Drill = &alerting.DrillRequest{Announced: announced, DeputiesOnly: deputies, Target: target}
	c, err := connect()
	if err != nil {
		return err
	}
	var res struct {
		IncidentID string                  `json:"incident_id"`
		Incident   activation.IncidentView `json:"incident"`
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents", d, &res); err != nil {
		return err
	}
	kind := "unangekündigt"
	if announced {
		kind = "angekündigt"
	}
	who := "Primärbesetzung"
	if deputies {
		who = "nur Stellvertretungen"
	}
	fmt.Fprintf(stdout, "Alarmierungsübung %s gestartet (%s, %s, Ziel %s): %d Ressorts.\nStatus: kaskade status %s   Bericht: kaskade report %s\n",
		res.IncidentID, kind, who, target, len(res.Incident.Organisations), res.IncidentID, res.IncidentID)
	return nil
}

// exerciseCmd aborts a running exercise or converts it into a real incident.
func exerciseCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || (args[0] != "abort" && args[0] != "convert") {
		return usageError{"usage: kaskade exercise abort|convert --incident ID [--reason TEXT]"}
	}
	fs := flag.NewFlagSet("exercise "+args[0], flag.ContinueOnError)
	connect := clientFlags(fs)
	incident := fs.String("incident", "", "incident id")
	reason := fs.String("reason", "", "reason (required to convert)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *incident == "" {
		return errNeedIncident
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if err := c.do(ctx, "POST", "/api/v1/incidents/"+*incident+"/"+args[0], map[string]string{"reason": *reason}, nil); err != nil {
		return err
	}
	if args[0] == "abort" {
		fmt.Fprintln(stdout, "Übung abgebrochen; alle Erreichten werden informiert.")
	} else {
		fmt.Fprintln(stdout, "ACHTUNG: Die Übung ist jetzt ein ECHTFALL. Alle Erreichten erhalten die echte Alarmierung.")
	}
	return nil
}

// reportCmd fetches an after-action report (Übungsbericht) from the server.
func reportCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	connect := clientFlags(fs)
	format := fs.String("format", "html", "html, csv or json")
	lang := fs.String("lang", "de", "de or en (html)")
	out := fs.String("o", "", "write to this file (default: bericht-<incident>.<format>; - for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: kaskade report INCIDENT [--format html|csv|json] [--lang de|en] [-o FILE]"}
	}
	id := fs.Arg(0)
	return fetchTo(ctx, connect, "/api/v1/incidents/"+id+"/report?format="+*format+"&lang="+*lang,
		defaultName(*out, "bericht-"+id+"."+*format), stdout)
}

// historyCmd fetches the exercise history.
func historyCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("history", flag.ContinueOnError)
	connect := clientFlags(fs)
	format := fs.String("format", "html", "html or json")
	lang := fs.String("lang", "de", "de or en (html)")
	out := fs.String("o", "", "write to this file (default: uebungen.<format>; - for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	return fetchTo(ctx, connect, "/api/v1/exercises?format="+*format+"&lang="+*lang, defaultName(*out, "uebungen."+*format), stdout)
}

func defaultName(out, def string) string {
	if out == "" {
		return def
	}
	return out
}

func fetchTo(ctx context.Context, connect func() (*client, error), path, out string, stdout io.Writer) error {
	c, err := connect()
	if err != nil {
		return err
	}
	data, err := c.raw(ctx, path)
	if err != nil {
		return err
	}
	if out == "-" {
		_, err = stdout.Write(data)
		return err
	}
	if err := os.WriteFile(out, data, 0o600); err != nil { // names, answers, remarks: personal data
		return err
	}
	fmt.Fprintf(stdout, "geschrieben: %s (%d Bytes)\n", out, len(data))
	return nil
}
