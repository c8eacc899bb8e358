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
       kaskade audit export --incident ID [--from-seq N --head HASH] [-o FILE] [--key-file FILE] [--nats-url URL] [--data DIR]
       kaskade audit verify-export FILE --pubkey KEY|FILE [--json]

verify checks the hash chain of the event log and names the first break
and the checkpoint after it (--from-seq/--head), from which verify and
export go on once the break is investigated.
export writes one incident's events as signed JSON lines for auditors
(docs/PRIVACY.md); verify-export checks such a file. verify and export read
the stream as Kaskade's own identity: <data>/nats/service.nk for the
embedded server, or --nats-creds/--nats-nkey/--nats-user for a cluster.`

// auditCmd verifies the event log's hash chain, exports an incident or
// verifies an export; a break or a bad export is exit code 1.
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{auditUsage}
	}
	switch args[0] {
	case "verify":
		return auditVerifyCmd(ctx, args[1:], stdout)
	case "export":
		return auditExportCmd(ctx, args[1:], stdout, stderr)
	case "verify-export":
		return auditVerifyExportCmd(args[1:], stdout)
	}
	return usageError{auditUsage}
}

// auditFlags registers the flags naming the event log and Kaskade's identity.
func auditFlags(fs *flag.FlagSet) (c *natsd.Client, data *string) {
	c = &natsd.Client{}
	c.RegisterFlags(fs)
	fs.StringVar(&c.URL, "nats-url", envOr("KASKADE_NATS_URL", "nats://127.0.0.1:4222"), "NATS server(s) holding the event log")
	data = fs.String("data", "./kaskade-data", "data directory of the embedded server (its service identity)")
	return c, data
}

// auditConnect connects as Kaskade's identity (the embedded server's
// service key unless another identity is given).
func auditConnect(c *natsd.Client, data string) (*nats.Conn, jetstream.JetStream, error) {
	if c.Creds == "" && c.NkeyFile == "" && c.User == "" {
		c.NkeyFile = natsd.ServiceSeedFile(data)
	}
	nc, err := c.Connect(nats.Timeout(10 * time.Second))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, fmt.Errorf("jetstream: %w", err)
	}
	return nc, js, nil
}

func auditVerifyCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, data := auditFlags(fs)
	var cp audit.Checkpoint
	fs.Uint64Var(&cp.Seq, "from-seq", 0, "start after this stored event (a checkpoint, with --head)")
	fs.StringVar(&cp.Head, "head", "", "hash of the event at --from-seq (from a snapshot or an earlier verify)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || (cp.Seq == 0) != (cp.Head == "") {
		return usageError{auditUsage}
	}
	nc, js, err := auditConnect(c, *data)
	if err != nil {
		return err
	}
	defer nc.Close()
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
		printResume(w, res.Break)
		return
	}
	fmt.Fprintf(w, "Kette intakt: %d Ereignisse (%d–%d), davon %d vor Einführung der Kette ohne Verkettung\nKopf: %s\n",
		res.Events, res.From, res.Last, res.Unchained, res.Head)
}

// printResume names the checkpoint after a break: the engine chains its
// next event to the stored message there, so verify and export may go on
// from it once the break is investigated (the break stays evidence).
func printResume(w io.Writer, b *audit.Break) {
	cp, ok := b.Resume()
	if !ok {
		return
	}
	fmt.Fprintf(w, "Nach Prüfung der Stelle weiter ab dem Prüfpunkt danach (auch für kaskade audit export):\n  kaskade audit verify --from-seq %d --head %s\n", cp.Seq, cp.Head)
	fmt.Fprintf(w, "Chain broken at event %d. Once investigated, continue after it (verify or export) with --from-seq %d --head %s\n", b.Seq, cp.Seq, cp.Head)
}
