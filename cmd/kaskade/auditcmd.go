package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

const auditUsage = `usage: kaskade audit verify [--nats-url URL] [--data DIR] [--from-seq N --head HASH] [--json]

Checks the hash chain of the event log and names the first break. It reads
the stream as Kaskade's own identity: <data>/nats/service.nk for the
embedded server, or --nats-creds/--nats-nkey/--nats-user for a cluster.`

// auditCmd verifies the event log's hash chain; a break is exit code 1.
func auditCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError{auditUsage}
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c natsd.Client
	c.RegisterFlags(fs)
	fs.StringVar(&c.URL, "nats-url", envOr("KASKADE_NATS_URL", "nats://127.0.0.1:4222"), "NATS server(s) holding the event log")
	data := fs.String("data", "./kaskade-data", "data directory of the embedded server (its service identity)")
	var cp audit.Checkpoint
	fs.Uint64Var(&cp.Seq, "from-seq", 0, "start after this stored event (a checkpoint, with --head)")
	fs.StringVar(&cp.Head, "head", "", "hash of the event at --from-seq (from a snapshot or an earlier verify)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || (cp.Seq == 0) != (cp.Head == "") {
		return usageError{auditUsage}
	}
	if c.Creds == "" && c.NkeyFile == "" && c.User == "" {
		c.NkeyFile = natsd.ServiceSeedFile(*data)
	}
	nc, err := c.Connect(nats.Timeout(10 * time.Second))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	res, err := audit.VerifyStream(ctx, js, engine.Layout{}.EventsStream(), cp)
	if err != nil {
		return err
	}
	printAudit(stdout, res, *asJSON)
	if res.Break != nil {
		return res.Break
	}
	return nil
}

func printAudit(w io.Writer, res audit.Result, asJSON bool) {
	if asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
		return
	}
	if res.Break != nil {
		fmt.Fprintf(w, "KETTE GEBROCHEN bei Ereignis %d: %s\n(%d Ereignisse davor geprüft, ab %d)\n", res.Break.Seq, res.Break.Reason, res.Events, res.From)
		return
	}
	fmt.Fprintf(w, "Kette intakt: %d Ereignisse (%d–%d), davon %d vor Einführung der Kette ohne Verkettung\nKopf: %s\n",
		res.Events, res.From, res.Last, res.Unchained, res.Head)
}
