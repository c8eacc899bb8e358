package main

// The baseline phase: bare net/http and twilio-go loops against the fake,
// the references of the fan-out target.

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"
)

// loopTransport is a transport sized for the bench's concurrency.
func loopTransport(c int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, 2*c)
	t.MaxIdleConnsPerHost = max(2, c)
	return t
}

// runLoop runs n calls of f with c workers and returns calls per second.
func runLoop(ctx context.Context, n, c int, f func(i int) error) (float64, int) {
	var next, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n) / time.Since(start).Seconds(), int(errs.Load())
}

func (b *bench) statusCallbackBase() string { return "http://127.0.0.1:1/webhooks/twilio/status" }

// bareHTTP posts Create Message requests with net/http alone.
func (b *bench) bareHTTP(ctx context.Context, n int) float64 {
	cl := &http.Client{Transport: loopTransport(b.o.Concurrency), Timeout: 10 * time.Second}
	target := b.fakeAPI.URL + "/2010-04-01/Accounts/" + b.fake.AccountSID() + "/Messages.json"
	rate, errs := runLoop(ctx, n, b.o.Concurrency, func(i int) error {
		_, to := benchPerson(i)
		form := url.Values{"To": {to}, "From": {benchFrom}, "Body": {"ÜBUNG Krise O0001: Massenalarm. Stab bilden."},
			"ValidityPeriod": {"900"}, "StatusCallback": {b.statusCallbackBase() + "?n=bare-" + strconv.Itoa(i)}}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, target, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(b.fake.AccountSID(), b.fake.AuthToken())
		resp, err := cl.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	})
	if errs > 0 {
		b.printf("  bare net/http loop: %d errors\n", errs)
	}
	return rate
}

// rewrite points twilio-go's fixed base URL at the fake.
type rewrite struct {
	base   http.RoundTripper
	target *url.URL
}

func (t rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = t.target.Scheme, t.target.Host, ""
	return t.base.RoundTrip(r2)
}

// bareTwilio calls twilio-go's CreateMessage in a loop with the Sender's
// concurrency: the reference of the fan-out target.
func (b *bench) bareTwilio(ctx context.Context, n int) float64 {
	target, _ := url.Parse(b.fakeAPI.URL)
	cl := &twclient.Client{Credentials: twclient.NewCredentials(b.fake.AccountSID(), b.fake.AuthToken()),
		HTTPClient: &http.Client{Transport: rewrite{loopTransport(b.o.Concurrency), target}, Timeout: 10 * time.Second}}
	cl.SetAccountSid(b.fake.AccountSID())
	svc := api.NewApiServiceWithClient(cl)
	rate, errs := runLoop(ctx, n, b.o.Concurrency, func(i int) error {
		_, to := benchPerson(i)
		p := (&api.CreateMessageParams{}).SetTo(to).SetFrom(benchFrom).SetBody("ÜBUNG Krise O0001: Massenalarm. Stab bilden.").
			SetValidityPeriod(900).SetStatusCallback(b.statusCallbackBase() + "?n=bare-" + strconv.Itoa(i))
		_, err := svc.CreateMessage(p)
		return err
	})
	if errs > 0 {
		b.printf("  bare twilio-go loop: %d errors\n", errs)
	}
	return rate
}
