package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

const proposalsUsage = "usage: kaskade proposals [--status open|confirmed|dismissed|withdrawn|all]\n" +
	"       kaskade proposals confirm ID --exercise|--real --reason TEXT [--scenario ID] [--org MI,MF]\n" +
	"       kaskade proposals dismiss ID --reason TEXT"

// proposalsCmd lists the proposals of warning systems, or confirms or
// dismisses one, over the HTTP API.
func proposalsCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "confirm":
			return confirmProposalCmd(ctx, args[1:], stdout)
		case "dismiss":
			return dismissProposalCmd(ctx, args[1:], stdout)
		default:
			return usageError{fmt.Sprintf("unknown proposals command %q\n%s", args[0], proposalsUsage)}
		}
	}
	fs := flag.NewFlagSet("proposals", flag.ContinueOnError)
	connect := clientFlags(fs)
	status := fs.String("status", activation.ProposalOpen, "which proposals: open, confirmed, dismissed, withdrawn or all")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{proposalsUsage}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	path := "/api/v1/proposals"
	if *status != "all" {
		path += "?status=" + url.QueryEscape(*status)
	}
	var list struct {
		Proposals []activation.ProposalView `json:"proposals"`
	}
	if err := c.do(ctx, "GET", path, nil, &list); err != nil {
		return err
	}
	writeProposals(stdout, list.Proposals)
	return nil
}

// writeProposals prints one line per proposal, times in Berlin.
func writeProposals(w io.Writer, ps []activation.ProposalView) {
	if len(ps) == 0 {
		fmt.Fprintln(w, "Keine Vorschläge / no proposals")
		return
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	defer tw.Flush()
	fmt.Fprintln(tw, "VORSCHLAG\tSTATUS\tQUELLE\tVON\tEINGANG\tÜBUNG\tEREIGNIS\tSZENARIO\tRESSORTS\tLAGE")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.Status, p.Source, p.By,
			p.ReceivedAt.In(berlin).Format("02.01. 15:04"), yesNo(p.Exercise), oneLine(firstNonEmpty(p.Headline, p.Event), 60),
			dash(p.Scenario), dash(strings.Join(p.Organisations, ",")), dash(p.Incident))
	}
}

func confirmProposalCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("proposals confirm", flag.ContinueOnError)
	connect := clientFlags(fs)
	var req alerting.ConfirmRequest
	var orgs string
	fs.StringVar(&req.Scenario, "scenario", "", "scenario to declare (default: the proposal's suggestion)")
	fs.StringVar(&orgs, "org", "", "comma-separated organisations (default: the suggestion's, or the scenario's)")
	exercise := fs.Bool("exercise", false, "declare an exercise (Übung)")
	isReal := fs.Bool("real", false, "declare for real (Ernstfall)")
	fs.StringVar(&req.Reason, "reason", "", "why (recorded with the decision)")
	fs.StringVar(&req.Title, "title", "", "title (default: the warning's headline)")
	fs.StringVar(&req.Message, "message", "", "situation text for the alert")
	if err := parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 1 || strings.TrimSpace(req.Reason) == "":
		return usageError{"proposals confirm needs the proposal ID and --reason\n" + proposalsUsage}
	case *exercise == *isReal:
		return usageError{"proposals confirm needs exactly one of --exercise and --real: exercise or real is your decision"}
	}
	req.Exercise = exercise
	if orgs != "" {
		req.Organisations = strings.Split(orgs, ",")
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var res struct {
		IncidentID string                  `json:"incident_id"`
		Status     string                  `json:"status"`
		Incident   activation.IncidentView `json:"incident"`
	}
	if err := c.do(ctx, "POST", "/api/v1/proposals/"+url.PathEscape(fs.Arg(0))+"/confirm", req, &res); err != nil {
		return err
	}
	kind := "Ernstfall"
	if *exercise {
		kind = "ÜBUNG"
	}
	if res.Status == "accepted" {
		fmt.Fprintf(stdout, "Vorschlag %s bestätigt (%s), Lage %s wird angelegt.\nStatus: kaskade status %s\n", fs.Arg(0), kind, res.IncidentID, res.IncidentID)
		return nil
	}
	fmt.Fprintf(stdout, "Vorschlag %s bestätigt: %s ausgerufen: %s – %s (%s), %d Ressorts werden alarmiert.\nStatus: kaskade status %s\n",
		fs.Arg(0), kind, res.IncidentID, res.Incident.Title, res.Incident.Severity, len(res.Incident.Organisations), res.IncidentID)
	return nil
}

func dismissProposalCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("proposals dismiss", flag.ContinueOnError)
	connect := clientFlags(fs)
	var req httpapi.DismissRequest
	fs.StringVar(&req.Reason, "reason", "", "why (recorded with the decision)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(req.Reason) == "" {
		return usageError{"proposals dismiss needs the proposal ID and --reason\n" + proposalsUsage}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	if err := c.do(ctx, "POST", "/api/v1/proposals/"+url.PathEscape(fs.Arg(0))+"/dismiss", req, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Vorschlag %s verworfen: %s\n", fs.Arg(0), req.Reason)
	return nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// oneLine keeps a table cell on one line and at most n runes long.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
