package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// fakeTwilioCmd is `kaskade-bench fake-twilio`: the protocol-faithful fake
// Twilio API on loopback, for development.
func fakeTwilioCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fake-twilio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8089", "listen address")
	sid := fs.String("account-sid", twiliotest.DefaultAccountSID, "account SID the fake accepts")
	token := fs.String("auth-token", twiliotest.DefaultAuthToken, "auth token the fake accepts and signs callbacks with")
	latency := fs.Duration("latency", 0, "delay every API answer")
	limit := fs.Int("concurrency-limit", 0, "answer 429/20429 above this many requests in flight (0: unlimited)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	fmt.Fprintf(stdout, "fake Twilio on http://%s (account %s); set channels.twilio.api_url to it\n", *addr, *sid)
	return twiliotest.ListenAndServe(ctx, *addr, twiliotest.Options{AccountSID: *sid, AuthToken: *token, Latency: *latency,
		ConcurrencyLimit: *limit, Logger: slog.New(slog.NewTextHandler(stderr, nil)), CallbackDelay: 200 * time.Millisecond})
}
