package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// latencyFake is a fake Twilio answering after a latency, for the priority
// and stand-down phases. arrive sees every Create Message request when it
// arrives (before the latency); accept every message the fake accepts.
type latencyFake struct {
	fake   *twiliotest.Server
	api    *httptest.Server
	arrive func(at time.Time, to, body string)
	accept func(at time.Time, m twiliotest.Message)
}

func (b *bench) newLatencyFake(latency time.Duration, arrive func(time.Time, string, string), accept func(time.Time, twiliotest.Message)) *latencyFake {
	f := &latencyFake{arrive: arrive, accept: accept}
	var swallowed atomic.Int64
	f.fake = twiliotest.NewServer(twiliotest.Options{Latency: latency,
		Client:    &http.Client{Transport: &callbackTransport{base: http.DefaultTransport, swallow: true, n: &swallowed}},
		OnMessage: func(m twiliotest.Message) { f.accept(time.Now(), m) }})
	f.api = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/Messages.json") {
			at := time.Now()
			data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
			r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(data))
			if form, err := url.ParseQuery(string(data)); err == nil {
				f.arrive(at, form.Get("To"), form.Get("Body"))
			}
		}
		f.fake.ServeHTTP(w, r)
	}))
	return f
}

func (f *latencyFake) Close() { f.api.Close(); f.fake.Close() }

// isAlert tells the fan-out scenario's alerts (its template) from
// stand-downs and updates.
func isAlert(body string) bool {
	return strings.Contains(body, "Stab bilden") || strings.Contains(body, "Convene the staff")
}
