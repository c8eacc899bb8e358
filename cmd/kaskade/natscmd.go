package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

const natsUsage = `kaskade nats add-user NAME --role declarer|observer|intake --out FILE [--data DIR]
kaskade nats list-users [--data DIR]
kaskade nats revoke NAME [--data DIR]

Identities of other systems on the embedded NATS. add-user writes the nkey
seed to FILE (required; mode 0600, never over an existing file): hand it to
that system, Kaskade keeps only the public key. A running server applies
changes within 2 s (or at once on SIGHUP); revoking closes the identity's
connections.`

// errNoOut refuses add-user without --out: the seed is a secret and is
// written only where the operator says, not into the working directory.
var errNoOut = usageError{"nats add-user: --out FILE fehlt / missing: die Zugangsdatei ist geheim und wird nur dorthin " +
	"geschrieben, wo Sie es angeben; Kaskade behält nur den öffentlichen Schlüssel / the credentials file is a secret " +
	"and is written only where you say; Kaskade keeps only the public key\n\n" + natsUsage}

// natsCmd manages the identities of the embedded NATS in a data directory.
func natsCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usageError{natsUsage}
	}
	fs := flag.NewFlagSet("nats "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dataDir := fs.String("data", "./kaskade-data", "data directory")
	role := fs.String("role", "", "declarer, observer or intake")
	out := fs.String("out", "", "credentials file to write (required for add-user; mode 0600, not overwritten)")
	name, err := parseWithName(fs, args[1:])
	if err != nil {
		return usageError{err.Error() + "\n" + natsUsage}
	}
	switch args[0] {
	case "add-user":
		if name == "" || *role == "" {
			return usageError{natsUsage}
		}
		if *out == "" {
			return errNoOut
		}
		u, err := natsd.AddUser(*dataDir, name, *role, *out, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s (%s) angelegt / created: %s\nZugangsdatei / credentials: %s (nats --nkey %s)\n", u.Name, u.Role, u.PublicKey, *out, *out)
	case "list-users":
		users, err := natsd.ListUsers(*dataDir)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tROLE\tPUBLIC KEY\tCREATED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, u.PublicKey, u.Created.Format(time.RFC3339))
		}
		return tw.Flush()
	case "revoke":
		if name == "" {
			return usageError{natsUsage}
		}
		if err := natsd.Revoke(*dataDir, name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s widerrufen / revoked\n", name)
	default:
		return usageError{natsUsage}
	}
	return nil
}

// parseWithName parses flags before and after one positional name.
func parseWithName(fs *flag.FlagSet, args []string) (string, error) {
	var name string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() > 0 && name == "" {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return "", fmt.Errorf("unexpected %s", strings.Join(fs.Args(), " "))
	}
	if fs.NArg() > 1 {
		return "", fmt.Errorf("unexpected %s", strings.Join(fs.Args()[1:], " "))
	}
	return name, nil
}
