package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// loadRepliesCmd is `kaskade-bench load-replies`: an open-loop generator of
// signed inbound SMS (as Twilio posts them) against a running server. It
// reads one sender number per line from --numbers, sends "1" from each at
// --rate per second for at most --duration, and writes one line per reply
// to --out: number, start and end (Unix nanoseconds), HTTP status (0 on a
// transport error).
func loadRepliesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("load-replies", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "SMS webhook URL (http://127.0.0.1:PORT/webhooks/twilio/sms)")
	numbers := fs.String("numbers", "", "file with one sender number per line")
	out := fs.String("out", "", "result file")
	rate := fs.Float64("rate", 1000, "replies per second")
	duration := fs.Duration("duration", 60*time.Second, "how long to send")
	body := fs.String("body", "1", "reply text")
	to := fs.String("to", benchFrom, "the Kaskade number replied to")
	account := fs.String("account", twiliotest.DefaultAccountSID, "Twilio account SID")
	token := fs.String("token", os.Getenv(benchTokenEnv), "Twilio auth token that signs the requests (env "+benchTokenEnv+")")
	inflight := fs.Int("max-inflight", 512, "bound on requests in flight")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if *url == "" || *numbers == "" || *out == "" || *rate <= 0 {
		return usageError{"load-replies needs --url, --numbers, --out and a positive --rate"}
	}
	data, err := os.ReadFile(*numbers)
	if err != nil {
		return err
	}
	from := strings.Fields(string(data))
	if n := int(*rate * duration.Seconds()); n < len(from) {
		from = from[:n]
	}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *inflight,
		MaxIdleConnsPerHost: *inflight,
		IdleConnTimeout:     90 * time.Second,
	}
	// The fake is used only to sign and post, exactly as Twilio would.
	signer := twiliotest.NewServer(twiliotest.Options{AccountSID: *account, AuthToken: *token,
		Client: &http.Client{Transport: tr, Timeout: 30 * time.Second}})
	defer signer.Close()

	type result struct {
		from       string
		start, end int64
		status     int
	}
	results := make([]result, len(from))
	sem := make(chan struct{}, *inflight)
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / *rate)
	begin := time.Now()
	late := 0
	for i, f := range from {
		due := begin.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		select {
		case sem <- struct{}{}:
		default:
			late++ // the server is behind: we wait (the send is late, not dropped)
			sem <- struct{}{}
		}
		wg.Go(func() {
			defer func() { <-sem }()
			start := time.Now()
			status := 0
			resp, err := signer.SendInbound(context.Background(), *url, f, *to, *body)
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				status = resp.StatusCode
			} else if !errors.Is(err, context.Canceled) {
				fmt.Fprintln(stderr, "load-replies:", err)
			}
			results[i] = result{from: f, start: start.UnixNano(), end: time.Now().UnixNano(), status: status}
		})
	}
	wg.Wait()
	elapsed := time.Since(begin)
	fo, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(fo)
	for _, r := range results {
		fmt.Fprintf(w, "%s %d %d %d\n", r.from, r.start, r.end, r.status)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "load-replies: %d replies in %s (%.0f/s), %d waited for a free slot\n",
		len(from), elapsed.Round(time.Millisecond), float64(len(from))/elapsed.Seconds(), late)
	return fo.Close()
}
