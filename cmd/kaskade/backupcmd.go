package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/backup"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

const backupUsage = `kaskade backup --out DIR [--data DIR | --nats-url URL ...]
kaskade backup verify DIR [--data DIR | --nats-url URL ...]
kaskade restore --from DIR [--data DIR | --nats-url URL ...]

Backs up Kaskade's streams (event log, inputs, declarations), KV buckets and
object store with a manifest of counts and SHA-256 sums; restores them into a
fresh data directory or an empty JetStream and verifies the result.
--data: the embedded NATS of a STOPPED server is started on that directory.
A running single server: --nats-url nats://127.0.0.1:4222 --nats-nkey DATA/nats/service.nk
(with --data DATA to include the identities file). A cluster: --nats-url and
its credentials. verify checks the files, and with a target also the JetStream.`

// backupCmd runs `kaskade backup` and `kaskade restore` (args[0]).
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var t backupTarget
	fs.StringVar(&t.data, "data", "", "data directory of the embedded NATS (server stopped)")
	fs.StringVar(&t.listen, "nats-listen", "127.0.0.1:4222", "the embedded NATS address of a running server, refused as a sign that it runs (off: no check)")
	fs.StringVar(&t.client.URL, "nats-url", "", "external NATS (or a running server's embedded NATS)")
	t.client.RegisterFlags(fs)
	out := fs.String("out", "", "backup directory to create")
	from := fs.String("from", "", "backup directory to restore")
	verify := len(args) > 1 && args[0] == "backup" && args[1] == "verify"
	rest := args[1:]
	if verify {
		rest = args[2:]
	}
	dir, err := parseWithName(fs, rest)
	if err != nil {
		return usageError{err.Error() + "\n" + backupUsage}
	}
	switch {
	case verify:
		if dir == "" {
			return usageError{backupUsage}
		}
		return verifyBackup(ctx, t, dir, stdout)
	case args[0] == "restore":
		if *from == "" {
			*from = dir
		}
		if *from == "" || (t.data == "" && t.client.URL == "") {
			return usageError{backupUsage}
		}
		return restoreBackup(ctx, t, *from, stdout)
	default:
		if *out == "" || dir != "" || (t.data == "" && t.client.URL == "") {
			return usageError{backupUsage}
		}
		return writeBackup(ctx, t, *out, stdout)
	}
}

func writeBackup(ctx context.Context, t backupTarget, dir string, stdout io.Writer) error {
	if t.client.URL == "" {
		if _, err := os.Stat(filepath.Join(t.data, "jetstream")); err != nil {
			return fmt.Errorf("backup: %s holds no JetStream data: %w", t.data, err)
		}
	}
	js, closeJS, err := t.open()
	if err != nil {
		return err
	}
	defer closeJS()
	m, err := backup.Backup(ctx, backup.Options{JS: js, Layout: engine.Layout{}, Dir: dir, DataDir: t.data, Logger: cliLogger()})
	if err != nil {
		return err
	}
	if err := backup.VerifyFiles(dir, m); err != nil {
		return err
	}
	printManifest(stdout, m)
	fmt.Fprintf(stdout, "Sicherung geprüft / backup verified: %s\n", dir)
	return nil
}

func restoreBackup(ctx context.Context, t backupTarget, dir string, stdout io.Writer) error {
	if t.data != "" && t.client.URL == "" {
		if err := os.MkdirAll(t.data, 0o700); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	js, closeJS, err := t.open()
	if err != nil {
		return err
	}
	defer closeJS()
	m, err := backup.Restore(ctx, backup.Options{JS: js, Layout: engine.Layout{}, Dir: dir, DataDir: t.data, Logger: cliLogger()})
	if err != nil {
		return err
	}
	printManifest(stdout, m)
	fmt.Fprintln(stdout, "Wiederhergestellt und geprüft / restored and verified. Start Kaskade on it now.")
	printErasureReminder(stdout, m.Created)
	return nil
}

// printErasureReminder: a backup holds the keys of people erased after it
// was made (docs/PRIVACY.md), so their data is readable again until they
// are erased once more.
func printErasureReminder(w io.Writer, created time.Time) {
	at := created.Format(time.RFC3339)
	fmt.Fprintf(w, "Datenschutz: Personen, die nach %s gelöscht wurden (kaskade person erase), sind in dieser Sicherung wieder lesbar: "+
		"nach dem Start erneut löschen.\n", at)
	fmt.Fprintf(w, "Data protection: people erased after %s (kaskade person erase) are readable again from this backup: "+
		"erase them again once Kaskade runs.\n", at)
}

func verifyBackup(ctx context.Context, t backupTarget, dir string, stdout io.Writer) error {
	m, err := backup.ReadManifest(dir)
	if err != nil {
		return err
	}
	if err := backup.VerifyFiles(dir, m); err != nil {
		return err
	}
	printManifest(stdout, m)
	fmt.Fprintln(stdout, "Dateien stimmen / files match the manifest")
	if t.data == "" && t.client.URL == "" {
		return nil
	}
	js, closeJS, err := t.open()
	if err != nil {
		return err
	}
	defer closeJS()
	if err := backup.VerifyJetStream(ctx, backup.Options{JS: js, Layout: engine.Layout{}}, m); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "JetStream stimmt / JetStream matches the manifest")
	return nil
}

func printManifest(w io.Writer, m backup.Manifest) {
	fmt.Fprintf(w, "Sicherung vom / backup of %s (%s)\n", m.Created.Format(time.RFC3339), m.Prefix)
	for _, s := range m.Streams {
		fmt.Fprintf(w, "  %-28s %-6s %8d messages  seq %d..%d", s.Name, s.Kind, s.Messages, s.FirstSeq, s.LastSeq)
		switch s.Kind {
		case backup.KindKV:
			fmt.Fprintf(w, "  %d keys", s.Keys)
		case backup.KindObject:
			fmt.Fprintf(w, "  %d objects", s.Objects)
		}
		fmt.Fprintf(w, "  sha256 %.16s…\n", s.ContentSHA256)
	}
}

func cliLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// backupTarget is the JetStream a backup command works on.
type backupTarget struct {
	data, listen string
	client       natsd.Client
}

// open connects to the external NATS, or starts the embedded one on the
// data directory (without a listener) once no server seems to run on it.
func (t backupTarget) open() (jetstream.JetStream, func(), error) {
	if t.client.URL != "" {
		nc, err := t.client.Connect()
		if err != nil {
			return nil, nil, err
		}
		js, err := jetstream.New(nc)
		if err != nil {
			nc.Close()
			return nil, nil, err
		}
		return js, nc.Close, nil
	}
	if t.listen != "off" {
		if c, err := net.DialTimeout("tcp", t.listen, 500*time.Millisecond); err == nil {
			c.Close()
			return nil, nil, errors.New("a NATS server answers on " + t.listen + ": stop Kaskade first, or back up the running server " +
				"with --nats-url nats://" + t.listen + " --nats-nkey " + natsd.ServiceSeedFile(t.data))
		}
	}
	e, err := natsd.Start(natsd.Options{DataDir: t.data, Listen: "off"})
	if err != nil {
		return nil, nil, err
	}
	nc, err := e.Connect()
	if err != nil {
		e.Shutdown()
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		e.Shutdown()
		return nil, nil, err
	}
	return js, func() { nc.Close(); e.Shutdown() }, nil
}
