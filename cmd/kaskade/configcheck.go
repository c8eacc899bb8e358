package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// configCmd implements `kaskade config check [FILE]`: every problem with
// file and line, SMS segment counts, exit 1 on errors.
func configCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "check" || len(args) > 2 {
		fmt.Fprintln(stderr, "usage: kaskade config check [FILE]")
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

// segmentWarnings renders each scenario's alert SMS as staff would get it
// (exercise marking, answer instructions) and reports segment counts.
func segmentWarnings(cfg *config.Config) []string {
	var out []string
	for _, sc := range cfg.Scenarios {
		for _, lang := range slices.Sorted(maps.Keys(sc.Templates)) { // stable output
			tpl := sc.Templates[lang]
			if tpl.SMS == "" {
				continue
			}
			t, err := config.ParseTemplate(sc.ID, tpl.SMS)
			if err != nil {
				continue // reported by the loader
			}
			var b strings.Builder
			if err := t.Execute(&b, config.SampleData(lang)); err != nil {
				continue
			}
			text := gsm7.Transliterate(compose.ExercisePrefix(lang) + b.String() + "\n" + compose.AnswerHint(lang, "K7"))
			enc, segs, units := gsm7.Segments(text)
			line := fmt.Sprintf("scenario %s (%s): alert SMS %d %s units, %d segment(s)", sc.ID, lang, units, enc, segs)
			if segs > 2 {
				line = "warning: " + line + " — more than two segments; shorten the template"
			}
			out = append(out, line)
		}
	}
	return out
}
