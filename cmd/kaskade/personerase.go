package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

// personEraseCmd answers erasure requests (Art. 17 DSGVO): "person erase
// ID --reason TEXT" asks the running server (admin token) to shred the
// person's key, which makes their data in the log unreadable, and to
// remove them from the stores beside it. The reason is recorded; it must
// not name the person.
func personEraseCmd(ctx context.Context, args []string, stdout io.Writer) error {
	const use = "usage: kaskade person erase ID --reason TEXT"
	fs := flag.NewFlagSet("person erase", flag.ContinueOnError)
	connect := clientFlags(fs)
	reason := fs.String("reason", "", "why (e.g. the request's file number); recorded, so never the person's name")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || strings.TrimSpace(*reason) == "" {
		return usageError{use}
	}
	c, err := connect()
	if err != nil {
		return err
	}
	var res httpapi.EraseResult
	if err := c.do(ctx, "POST", "/api/v1/people/"+url.PathEscape(fs.Arg(0))+"/erase", httpapi.EraseRequest{Reason: *reason}, &res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "gelöscht: %s (%s)\n", res.Person, res.At.Format("2006-01-02 15:04:05 MST"))
	if !res.Sealed {
		fmt.Fprintln(stdout, "Hinweis: im Ereignisprotokoll war nichts verschlüsselt über diese Person gespeichert.")
	}
	keys := make([]string, 0, len(res.Removed))
	for k := range res.Removed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "entfernt aus %s: %d\n", k, res.Removed[k])
	}
	for _, r := range res.Remaining {
		fmt.Fprintf(stdout, "noch zu tun: %s\n", r)
	}
	return nil
}
