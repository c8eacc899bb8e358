package main

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/audit"
)

// auditVerifyExportCmd checks an export file with the signer's public key;
// it needs no NATS and no data directory.
func auditVerifyExportCmd(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("audit verify-export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	pubArg := fs.String("pubkey", "", "the signer's public key: base64, or a file (PEM or base64)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	if err := parse(fs, args); err != nil || fs.NArg() != 1 || *pubArg == "" {
		return usageError{auditUsage}
	}
	pub, err := readPubKey(*pubArg)
	if err != nil {
		return err
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("audit verify-export: %w", err)
	}
	defer f.Close()
	sum, err := audit.VerifyExport(f, pub)
	var xe *audit.ExportError
	if err != nil && !errors.As(err, &xe) {
		return err
	}
	if *asJSON {
		b, _ := json.MarshalIndent(struct {
			OK      bool                `json:"ok"`
			Summary audit.ExportSummary `json:"summary,omitzero"`
			Error   *audit.ExportError  `json:"error,omitempty"`
		}{xe == nil, sum, xe}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else if xe != nil {
		fmt.Fprintf(stdout, "EXPORT UNGÜLTIG (Zeile %d): %s\n", xe.Line, xe.Reason)
	} else {
		fmt.Fprintf(stdout, "Export echt: %s, %d Ereignisse, exportiert %s, Kette bis %d, Kopf %s, Schlüssel %s\n",
			sum.Incident, sum.Events, sum.ExportedAt.Format(time.RFC3339), sum.Through, sum.Head, sum.KeyID)
		if sum.FromSeq > 0 {
			fmt.Fprintf(stdout, "Achtung: Die Kette beginnt erst nach Ereignis %d (Prüfpunkt %s), nicht am Anfang des Protokolls\n"+
				"Note: the chain starts after event %d (a checkpoint after a break), not at the log's start\n", sum.FromSeq, sum.FromHead, sum.FromSeq)
		}
	}
	return err
}

// readPubKey takes a key given inline (base64) or a file holding one.
func readPubKey(arg string) (ed25519.PublicKey, error) {
	if pub, err := audit.ParsePublicKey([]byte(arg)); err == nil {
		return pub, nil
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		return nil, fmt.Errorf("--pubkey: neither a base64 key nor a readable file: %w", err)
	}
	return audit.ParsePublicKey(b)
}
