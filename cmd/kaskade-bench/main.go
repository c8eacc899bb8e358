// Command kaskade-bench measures Kaskade's performance targets on loopback:
// it starts the server in-process (and the kaskade binary for the restart
// and failover phases) against a fake Twilio, one file per phase. `kaskade-bench
// fake-twilio` runs the fake alone for development; `kaskade-bench
// load-replies` is the reply load generator the replies phase starts,
// `kaskade-bench board-readers` the board phase's background viewers.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the server's Europe/Berlin, also on minimal hosts

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `kaskade-bench — Kaskade's performance targets on loopback

Usage:
  kaskade-bench [--quick] [--phases P,…] [flags]   measure (go run ./cmd/kaskade-bench --help for the flags)
  kaskade-bench fake-twilio [--addr A] [flags]     run the fake Twilio API for development
  kaskade-bench load-replies --url U --numbers F --out F [flags]
                                                   signed inbound SMS at a rate (the replies phase runs it)
  kaskade-bench board-readers --url U --tokens F --incidents F --out F [flags]
                                                   board streams read in a process of their own (the board phase runs it)
  kaskade-bench nats-node --port P --cluster-port R … one node of a three-node JetStream cluster (the failover phase runs it)
`

// run is the whole program.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var err error
	switch {
	case len(args) > 0 && args[0] == "fake-twilio":
		err = fakeTwilioCmd(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && args[0] == "nats-node":
		err = natsNodeCmd(ctx, args[1:], stderr)
	case len(args) > 0 && args[0] == "board-readers":
		err = boardReadersCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case len(args) > 0 && args[0] == "load-replies":
		err = loadRepliesCmd(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help"):
		fmt.Fprint(stdout, usage)
		err = benchCmd(ctx, []string{"-h"}, stdout, stdout)
		if errors.As(err, new(usageError)) {
			return 0
		}
	default:
		err = benchCmd(ctx, args, stdout, stderr)
	}
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "kaskade-bench:", err)
	var bad *server.UsageError
	if errors.As(err, new(usageError)) || errors.As(err, &bad) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
