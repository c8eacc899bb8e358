package twilio

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// maxResponse bounds how much of a response body is read.
const maxResponse = 1 << 20

// newBaseTransport returns the shared transport used when Options has no
// HTTPClient: enough idle connections per host for the configured
// concurrency, so a fan-out reuses connections instead of churning them.
func newBaseTransport(concurrency int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(100, 2*concurrency)
	t.MaxIdleConnsPerHost = max(2, concurrency)
	t.IdleConnTimeout = 30 * time.Second
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// call is the transport of one Notify call. twilio-go builds its requests
// without a context, so call supplies the caller's context, rewrites the
// fixed base URL to Options.APIURL, and observes what twilio-go hides: was
// the request written, which status and Retry-After came back. It buffers
// the response body so the connection is always reused (twilio-go does not
// close error bodies).
type call struct {
	base   http.RoundTripper
	ctx    context.Context
	target *url.URL // nil: leave the URL alone

	mu         sync.Mutex
	wrote      bool
	status     int
	retryAfter time.Duration
}

func (c *call) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := c.ctx
	if req.Context().Done() != nil {
		// Merge the client's per-request context (its Timeout) with the
		// call's; twilio-go's own requests carry none, so the common case
		// skips the extra context and its AfterFunc.
		merged, cancel := context.WithCancelCause(req.Context())
		stop := context.AfterFunc(c.ctx, func() { cancel(context.Cause(c.ctx)) })
		defer func() {
			stop()
			cancel(nil)
		}()
		ctx = merged
	}
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(i httptrace.WroteRequestInfo) {
			if i.Err == nil {
				c.mu.Lock()
				c.wrote = true
				c.mu.Unlock()
			}
		},
	})
	r := req.WithContext(ctx)
	if c.target != nil {
		u := *req.URL
		u.Scheme, u.Host = c.target.Scheme, c.target.Host
		u.Path = c.target.Path + u.Path
		u.RawPath = ""
		r.URL = &u
		r.Host = ""
	}
	resp, err := c.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	body, err := readBody(resp)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("reading response: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	c.mu.Lock()
	c.status = resp.StatusCode
	c.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	c.mu.Unlock()
	return resp, nil
}

// readBody reads at most maxResponse bytes, in one allocation when the
// length is announced (io.ReadAll grows from 512 bytes).
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxResponse {
		body := make([]byte, n)
		if _, err := io.ReadFull(resp.Body, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxResponse))
}

// observed returns what the transport saw.
func (c *call) observed() (wrote bool, status int, retryAfter time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote, c.status, c.retryAfter
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
