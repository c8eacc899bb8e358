package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation/card"
	"github.com/kaskade-bcm/kaskade/config"
)

const cardUsage = "usage: kaskade card ORG [--config FILE] [--lang de|en] [--size a6|a4] [-o FILE]"

// cardCmd implements `kaskade card ORG`: the organisation's emergency card
// (Notfallkarte) as printable HTML, from the configuration file alone.
func cardCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("card", flag.ContinueOnError)
	path := fs.String("config", "", "configuration file (default: the bundled Lower Saxony example)")
	lang := fs.String("lang", "de", "de or en")
	size := fs.String("size", card.A6, "a6 (wallet) or a4 (staff room)")
	out := fs.String("o", "-", "write to this file (- for stdout)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*lang != config.LangDE && *lang != config.LangEN) || (*size != card.A6 && *size != card.A4) {
		return usageError{cardUsage}
	}
	cfg, err := loadCardConfig(*path)
	if err != nil {
		return err
	}
	c, err := card.Build(cfg, fs.Arg(0), *lang)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := card.Render(&b, c, *size); err != nil {
		return err
	}
	if *out == "-" {
		_, err = b.WriteTo(stdout)
		return err
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("card: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", c.OrgName, *out)
	return nil
}

func loadCardConfig(path string) (*config.Config, error) {
	cfg, probs, err := config.LoadOrExample(path)
	if err != nil {
		return nil, err
	}
	if err := probs.Err(); err != nil {
		var msgs []string
		for _, p := range probs.Errors() {
			msgs = append(msgs, p.String())
		}
		return nil, fmt.Errorf("configuration has errors (kaskade config check):\n%s", strings.Join(msgs, "\n"))
	}
	return cfg, nil
}
