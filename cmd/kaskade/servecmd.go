package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o server.Options
	fs.StringVar(&o.ConfigPath, "config", "", "configuration file (default: the bundled Lower Saxony example)")
	fs.StringVar(&o.DataDir, "data", "./kaskade-data", "data directory (JetStream storage, outbox, admin token)")
	fs.StringVar(&o.HTTPAddr, "http", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&o.NATSListen, "nats-listen", "127.0.0.1:4222", "embedded NATS client address, or off")
	fs.StringVar(&o.NATSURL, "nats-url", "", "use this external NATS (cluster) instead of the embedded server")
	o.NATSClient.RegisterFlags(fs)
	o.NATSServer.RegisterTLSFlags(fs)
	o.NATSServer.RegisterStoreFlags(fs)
	fs.IntVar(&o.SnapshotEvery, "snapshot-every", 0, "events between engine snapshots, which bound a restart's replay (default 50000; -1: none)")
	fs.IntVar(&o.Replicas, "replicas", 0, "JetStream replicas for streams and buckets (default 1 embedded, 3 with --nats-url)")
	fs.StringVar(&o.LogFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.Instance, "instance", "", "instance name (default: host name and pid)")
	fs.StringVar(&o.PublicURL, "public-url", "", "externally reachable base URL for webhooks and ack links (overrides server.public_url)")
	fs.BoolVar(&o.Simulate, "simulate", false, "simulated responders answer exercise alerts through the real webhooks (exercises only)")
	fs.StringVar(&o.SimulateMix, "simulate-mix", "available=70,delayed=15,unavailable=10,silent=5", "share of simulated answers")
	fs.StringVar(&o.SimulateDelay, "simulate-delay", "20s-3m", "simulated answer delay, MIN-MAX")
	debugAddr := fs.String("debug-addr", "", "serve the Go profiler (/debug/pprof/) on this separate address, e.g. 127.0.0.1:6060 (default: off)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{"serve takes no arguments: " + strings.Join(fs.Args(), " ")}
	}
	switch o.LogFormat {
	case "text":
		o.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		o.Logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return usageError{"--log-format must be text or json"}
	}
	if *debugAddr != "" {
		_, stop, err := startDebug(*debugAddr, o.Logger)
		if err != nil {
			return err
		}
		defer stop()
	}
	var started atomic.Pointer[server.Server]
	stopStarting := collectHarderWhileStarting(ctx, o.Logger, func() bool {
		s := started.Load()
		return s != nil && s.Engine.Settled()
	})
	defer stopStarting()
	s, err := server.Start(ctx, o)
	if err != nil {
		return err
	}
	started.Store(s)
	fmt.Fprintf(stdout, "Kaskade läuft: %s  (Board, API, Webhooks)\n", s.URL)
	return s.Wait()
}
