// Command kaskade is the alerting and activation system: `kaskade serve`
// runs the server (embedded NATS by default); the other subcommands talk to
// a running server or check a configuration.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Europe/Berlin everywhere, also on minimal hosts

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `kaskade — Alarmierung und Aktivierung von Krisenstäben

Usage:
  kaskade serve [flags]                 run the server (embedded NATS by default)
  kaskade declare --scenario ID --reason TEXT [--exercise] [flags]
  kaskade status [INCIDENT [ORG]]       incidents, readiness per ministry, or one call tree
  kaskade respond --incident ID --person ID available|delayed MINUTES|unavailable
  kaskade update --incident ID TEXT     send a situation update (Lagemeldung)
  kaskade stand-down --incident ID --reason TEXT
  kaskade proposals [--status open|all|…]    warnings proposed by warning systems (CAP, Alertmanager)
  kaskade proposals confirm ID --exercise|--real --reason TEXT [--scenario ID] [--org MI,MF]
  kaskade proposals dismiss ID --reason TEXT
  kaskade drill [--org MI,MF] [--announced] [--deputies-only] [--target 30m]
  kaskade exercise abort|convert --incident ID [--reason TEXT]
  kaskade report INCIDENT [--format html|csv|json] [--lang de|en] [-o FILE]
  kaskade history [--format html|json] [-o FILE]
  kaskade person export ID [-o FILE]   what Kaskade holds about a person, as JSON (admin)
  kaskade audit verify [--from-seq N --head HASH]   check the event log's hash chain
  kaskade audit export --incident ID [-o FILE]      signed JSON lines of one incident for auditors
  kaskade audit verify-export FILE --pubkey KEY     check such an export
  kaskade card ORG [--lang de|en] [--size a6|a4] [-o FILE]   print the emergency card
  kaskade config check [FILE]           check a configuration (default: the bundled example)
  kaskade nats add-user NAME --role declarer|observer|intake --out FILE | list-users | revoke NAME
  kaskade backup --out DIR [--data DIR] | backup verify DIR | restore --from DIR --data DIR
  kaskade version

Client commands take --server (default http://127.0.0.1:8080, env KASKADE_SERVER)
and --token (env KASKADE_TOKEN; default: read ./kaskade-data/admin.token).
`

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serveCmd(ctx, args[1:], stdout, stderr)
	case "declare":
		err = declareCmd(ctx, args[1:], stdout)
	case "status":
		err = statusCmd(ctx, args[1:], stdout)
	case "respond":
		err = respondCmd(ctx, args[1:], stdout)
	case "update":
		err = updateCmd(ctx, args[1:], stdout)
	case "stand-down":
		err = standDownCmd(ctx, args[1:], stdout)
	case "report":
		err = reportCmd(ctx, args[1:], stdout)
	case "history":
		err = historyCmd(ctx, args[1:], stdout)
	case "person":
		err = personCmd(ctx, args[1:], stdout)
	case "audit":
		err = auditCmd(ctx, args[1:], stdout, stderr)
	case "proposals":
		err = proposalsCmd(ctx, args[1:], stdout)
	case "drill":
		err = drillCmd(ctx, args[1:], stdout)
	case "exercise":
		err = exerciseCmd(ctx, args[1:], stdout)
	case "card":
		err = cardCmd(args[1:], stdout)
	case "config":
		return configCmd(args[1:], stdout, stderr)
	case "nats":
		err = natsCmd(args[1:], stdout)
	case "backup", "restore":
		err = backupCmd(ctx, args, stdout)
	case "version":
		fmt.Fprintln(stdout, "kaskade", version)
	case "bench", "dev":
		fmt.Fprintf(stderr, "kaskade: %q is its own command now: go run ./cmd/kaskade-bench --help\n", args[0])
		return 2
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "kaskade: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "kaskade:", err)
		if isUsage(err) {
			return 2
		}
		return 1
	}
	return 0
}

const version = "0.1.0"

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func isUsage(err error) bool {
	var bad *server.UsageError
	_, ok := err.(usageError)
	return ok || errors.As(err, &bad)
}
