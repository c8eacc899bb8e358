package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kaskade-bcm/kaskade/activation/web"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestBuckets(t *testing.T) {
	c := &clock{time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)}
	b := web.NewBuckets(3, time.Minute, c.now)
	for i := range 3 {
		if ok, _ := b.Take("a"); !ok {
			t.Fatalf("take %d refused within the burst", i+1)
		}
	}
	ok, retry := b.Take("a")
	if ok || retry != time.Minute {
		t.Fatalf("4th take: ok %v retry %v, want refused, 1m", ok, retry)
	}
	if ok, _ := b.Take("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	c.t = c.t.Add(time.Minute)
	if ok, _ := b.Take("a"); !ok {
		t.Fatal("no token after one interval")
	}
	if ok, _ := web.NewBuckets(0, time.Minute, c.now).Take("a"); !ok {
		t.Fatal("burst 0 must mean unlimited")
	}
	if got := web.RetryAfter(1500 * time.Millisecond); got != "2" {
		t.Fatalf("RetryAfter(1.5s) = %q", got)
	}
}

func TestClientAddr(t *testing.T) {
	proxies, err := web.ParseProxies([]string{"10.0.0.0/8", "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, xff string
		trusted           []netip.Prefix
		want              string
	}{
		{"no proxies: header ignored", "203.0.113.9:4711", "198.51.100.7", nil, "203.0.113.9"},
		{"untrusted peer: header ignored", "203.0.113.9:4711", "198.51.100.7", proxies, "203.0.113.9"},
		{"trusted proxy", "10.1.2.3:4711", "198.51.100.7", proxies, "198.51.100.7"},
		{"client cannot prepend", "10.1.2.3:4711", "1.2.3.4, 198.51.100.7", proxies, "198.51.100.7"},
		{"chain of proxies", "10.1.2.3:4711", "198.51.100.7, 192.0.2.1", proxies, "198.51.100.7"},
		{"garbage stops the walk", "10.1.2.3:4711", "198.51.100.7, junk", proxies, "10.1.2.3"},
		{"only proxies", "10.1.2.3:4711", "10.9.9.9", proxies, "10.9.9.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			r.Header.Set("X-Forwarded-For", tc.xff)
			if got := web.ClientAddr(r, tc.trusted); got != tc.want {
				t.Fatalf("ClientAddr = %q, want %q", got, tc.want)
			}
		})
	}
	if _, err := web.ParseProxies([]string{"nonsense"}); err == nil {
		t.Fatal("ParseProxies accepted nonsense")
	}
}

func TestFailGuardLimitsLogsAndCounts(t *testing.T) {
	c := &clock{time.Date(2026, 3, 3, 2, 0, 0, 0, time.UTC)}
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	g := web.NewFailGuard(web.FailGuardOptions{Surface: "api", Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Now: c.now, Burst: 3, Every: time.Minute, Registerer: reg})
	var limited int
	for range 300 {
		if l, _ := g.Fail(context.Background(), "203.0.113.9", "bearer"); l {
			limited++
		}
	}
	if limited != 297 {
		t.Fatalf("%d of 300 failures limited, want 297", limited)
	}
	if l, _ := g.Limited("198.51.100.7"); l {
		t.Fatal("another address is limited")
	}
	if n := strings.Count(logs.String(), "wrong token"); n < 1 || n > 5 {
		t.Fatalf("%d log lines for 300 failures in one instant, want 1 to 5", n)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() == "kaskade_http_auth_failures_total" {
			for _, m := range mf.GetMetric() {
				total += m.GetCounter().GetValue()
			}
		}
	}
	if total != 300 {
		t.Fatalf("metric total %v, want 300", total)
	}
}
