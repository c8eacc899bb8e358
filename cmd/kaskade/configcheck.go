package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kaskade-bcm/kaskade/config"
)

// configCmd implements `kaskade config check [FILE]`: every problem with
// file and line, where alert texts fall back to built-in ones, SMS segment
// estimates, exit 1 on errors.
func configCmd(args []string, stdout, stderr io.Writer) int {
	const usage = "usage: kaskade config check [FILE]\n\nChecks a configuration file (default: the bundled example) and prints every problem\nwith file, line and path; exit status 1 when there are errors."
	if len(args) > 0 && slices.ContainsFunc(args, isHelp) {
		fmt.Fprintln(stdout, usage)
		return 0
	}
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	var (
		cfg   *config.Config
		probs config.Problems
		err   error
		name  string
	)
	if len(args) == 2 {
		name = args[1]
		cfg, probs, err = config.Load(name)
	} else {
		name, _ = config.Example()
		cfg, probs, err = config.LoadExample()
	}
	if err != nil {
		fmt.Fprintln(stderr, "kaskade:", err)
		return 1
	}
	for _, p := range probs {
		fmt.Fprintln(stdout, p.String())
	}
	if cfg != nil {
		for _, f := range cfg.Fallbacks() {
			fmt.Fprintln(stdout, fallbackNote(f))
		}
		for _, w := range segmentWarnings(cfg) {
			fmt.Fprintln(stdout, w)
		}
	}
	errs, warns := len(probs.Errors()), len(probs.Warnings())
	if errs > 0 {
		fmt.Fprintf(stdout, "%s: %d error(s), %d warning(s)\n", name, errs, warns)
		return 1
	}
	fmt.Fprintf(stdout, "%s: OK — %d organisations, %d people, %d scenarios, %d warning(s)\n",
		name, len(cfg.Organisations), len(cfg.People), len(cfg.Scenarios), warns)
	return 0
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "-help" || a == "help" }

// fallbackNote says which alert texts of a scenario are not its own.
func fallbackNote(f config.Fallback) string {
	from := "built-in text"
	if f.From == config.LangDE {
		from = "the German text"
	}
	return fmt.Sprintf("note: scenario %s (%s): %s: %s", f.Scenario, f.Lang, strings.Join(f.Fields, ", "), from)
}

// estimateReplyCode is a long incident reply code for the estimate.
const estimateReplyCode = "K9999"

// segmentWarnings estimates each scenario's alert SMS as staff would get
// it (exercise marking, answer instructions) with the longest organisation,
// function and person names, so the count is an upper bound for the
// sample title and message, and warns above server.sms_segment_budget.
func segmentWarnings(cfg *config.Config) []string {
	var out []string
	for i := range cfg.Scenarios {
		sc := &cfg.Scenarios[i]
		for _, lang := range slices.Sorted(maps.Keys(sc.Templates)) { // stable output
			d := config.SampleData(lang)
			d.ReplyCode, d.Person = estimateReplyCode, longestPerson(cfg)
			orgs := longestOrgs(cfg, cfg.ScenarioOrganisations(sc), lang)
			size, err := longestAlertSMS(cfg, sc.ID, lang, orgs, d)
			if err != nil {
				continue // reported by the loader
			}
			line := fmt.Sprintf("scenario %s (%s): alert SMS %s with the longest names (organisation %s)", sc.ID, lang, size.describe(), size.Org)
			if size.Segments > cfg.Server.SMSSegmentBudget {
				line = fmt.Sprintf("warning: %s — more than the budget of %d (server.sms_segment_budget); shorten the template", line, cfg.Server.SMSSegmentBudget)
			}
			out = append(out, line)
		}
	}
	return out
}
