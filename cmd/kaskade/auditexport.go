package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// Signing key of audit exports: $KASKADE_AUDIT_KEY (the key itself),
// --key-file, or a key created on first use in the data directory.
const (
	auditKeyEnv     = "KASKADE_AUDIT_KEY"
	auditKeyFileEnv = "KASKADE_AUDIT_KEY_FILE"
)

func auditKeyFile(data string) string { return filepath.Join(data, "audit-export.key") }
func auditPubFile(data string) string { return filepath.Join(data, "audit-export.pub") }

func auditExportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	c, data := auditFlags(fs)
	incident := fs.String("incident", "", "the incident to export")
	out := fs.String("o", "-", "write to this file, mode 0600 (default: stdout)")
	keyFile := fs.String("key-file", os.Getenv(auditKeyFileEnv), "Ed25519 signing key (PEM PKCS #8 or base64 seed); default $"+auditKeyEnv+", else <data>/audit-export.key, created on first use")
	var cp audit.Checkpoint
	fs.Uint64Var(&cp.Seq, "from-seq", 0, "start the chain after this stored event: the checkpoint audit verify names after a break (with --head)")
	fs.StringVar(&cp.Head, "head", "", "hash of the stored event at --from-seq")
	if err := parse(fs, args); err != nil || fs.NArg() > 0 || *incident == "" || (cp.Seq == 0) != (cp.Head == "") {
		return usageError{auditUsage}
	}
	key, created, err := auditSigningKey(*keyFile, *data)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(stderr, "Neuer Signaturschlüssel: %s (öffentlicher Schlüssel in %s)\n", auditKeyFile(*data), auditPubFile(*data))
	}
	nc, js, err := auditConnect(c, *data)
	if err != nil {
		return err
	}
	defer nc.Close()
	w, commit, err := exportTarget(*out, stdout)
	if err != nil {
		return err
	}
	defer commit(false)
	sig, err := writeExport(ctx, js, w, *incident, cp, key)
	if err != nil {
		return err
	}
	if err := commit(true); err != nil {
		return err
	}
	msg := stdout
	if *out == "-" {
		msg = stderr
	}
	fmt.Fprintf(msg, "Export von %s: %d Ereignisse; Kopf der Kette %s; signiert mit Schlüssel %s\nÖffentlicher Schlüssel: %s\n",
		*incident, sig.Events, sig.Head, sig.KeyID, base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey)))
	if cp.Seq > 0 {
		fmt.Fprintf(msg, "Kette ab Prüfpunkt nach Ereignis %d (%s), nicht ab Beginn des Protokolls; im Export vermerkt\n"+
			"The chain starts after event %d (checkpoint), not at the log's start; the export records it\n", cp.Seq, cp.Head, cp.Seq)
	}
	return nil
}

// writeExport reads the whole log up to its last event and writes the
// incident's export, its chain starting after the checkpoint cp (zero: at
// the log's start); a broken chain is refused, and so is an incident with
// events at or before the checkpoint.
func writeExport(ctx context.Context, js jetstream.JetStream, w io.Writer, incident string, cp audit.Checkpoint, key ed25519.PrivateKey) (audit.ExportSignature, error) {
	name := engine.Layout{}.EventsStream()
	s, err := js.Stream(ctx, name)
	if err != nil {
		return audit.ExportSignature{}, fmt.Errorf("audit export: stream %s: %w", name, err)
	}
	through := s.CachedInfo().State.LastSeq
	x, err := audit.NewExporter(w, audit.ExportHeader{Incident: incident, Stream: name, Through: through, ExportedAt: time.Now().UTC(),
		FromSeq: cp.Seq, FromHead: cp.Head}, key)
	if err != nil {
		return audit.ExportSignature{}, fmt.Errorf("audit export: %w", err)
	}
	var addErr error
	if through > 0 {
		_, err = audit.ReadStream(ctx, js, name, 1, func(seq uint64, raw []byte) bool {
			addErr = x.Add(seq, raw)
			return addErr == nil && seq < through
		})
	}
	switch {
	case err != nil:
		return audit.ExportSignature{}, err
	case addErr != nil:
		return audit.ExportSignature{}, refusal(incident, addErr)
	}
	sig, err := x.Close()
	if errors.Is(err, audit.ErrNoEvents) {
		return sig, fmt.Errorf("audit export: no events of incident %q in the log", incident)
	}
	if err != nil {
		return sig, refusal(incident, err)
	}
	return sig, nil
}

// refusal explains a refused export: at a break, how to export from the
// checkpoint after it; for events before a checkpoint, which ones.
func refusal(incident string, err error) error {
	var b *audit.Break
	var early *audit.EarlyEventsError
	switch {
	case errors.As(err, &b):
		cp, ok := b.Resume()
		if !ok {
			return fmt.Errorf("KETTE GEBROCHEN bei Ereignis %d: %s; kein Export / no export: %w", b.Seq, b.Reason, err)
		}
		return fmt.Errorf("KETTE GEBROCHEN bei Ereignis %d: %s; kein Export (kaskade audit verify zeigt die Stelle). "+
			"Nach Prüfung der Stelle: kaskade audit export --incident %s --from-seq %d --head %s exportiert ab danach, "+
			"sofern der Vorfall davor keine Ereignisse hat / chain broken, no export; once investigated, export from after the break with these flags: %w",
			b.Seq, b.Reason, incident, cp.Seq, cp.Head, err)
	case errors.As(err, &early):
		return fmt.Errorf("kein Export: %d Ereignis(se) von %s liegen vor dem Prüfpunkt %d (Ereignis %s), ein Export ab dort ließe sie aus / no export: %w",
			len(early.Seqs), incident, early.From, audit.SeqList(early.Seqs), err)
	}
	return err
}

// exportTarget is stdout, or a temporary file renamed to path only when
// commit(true) is called: a refused export leaves no file behind.
func exportTarget(path string, stdout io.Writer) (io.Writer, func(ok bool) error, error) {
	if path == "-" {
		return stdout, func(bool) error { return nil }, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".audit-export-*")
	if err != nil {
		return nil, nil, fmt.Errorf("audit export: %w", err)
	}
	done := false
	return f, func(ok bool) error {
		if done {
			return nil
		}
		done = true
		err := f.Close()
		if ok && err == nil {
			err = os.Rename(f.Name(), path) // CreateTemp made it 0600
		}
		if !ok || err != nil {
			os.Remove(f.Name())
		}
		if err != nil {
			return fmt.Errorf("audit export: %w", err)
		}
		return nil
	}, nil
}

// auditSigningKey reads the signing key from $KASKADE_AUDIT_KEY or keyFile,
// or from <data>/audit-export.key, which it creates (0600, with the
// public key beside it) when missing. Errors never quote the key.
func auditSigningKey(keyFile, data string) (key ed25519.PrivateKey, created bool, err error) {
	if v := os.Getenv(auditKeyEnv); v != "" {
		key, err = audit.ParsePrivateKey([]byte(v))
		if err != nil {
			return nil, false, fmt.Errorf("$%s: %w", auditKeyEnv, err)
		}
		return key, false, nil
	}
	path := keyFile
	if path == "" {
		path = auditKeyFile(data)
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		key, err = audit.ParsePrivateKey(b)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", path, err)
		}
		return key, false, nil
	case keyFile != "" || !errors.Is(err, os.ErrNotExist):
		return nil, false, fmt.Errorf("audit signing key: %w", err)
	}
	key, err = createAuditKey(data)
	return key, err == nil, err
}

func createAuditKey(data string) (ed25519.PrivateKey, error) {
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	priv, err := audit.MarshalPrivateKey(key)
	if err != nil {
		return nil, err
	}
	pubPEM, err := audit.MarshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	f, err := os.OpenFile(auditKeyFile(data), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	if err := os.WriteFile(auditPubFile(data), pubPEM, 0o644); err != nil {
		return nil, fmt.Errorf("audit public key: %w", err)
	}
	return key, nil
}
