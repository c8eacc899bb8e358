package server

import (
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/config"
)

func TestDeclareLimitsFromConfig(t *testing.T) {
	got := declareLimits(config.DeclarationRates{Real: config.Rate{Count: 10, Per: config.Duration(time.Hour)},
		Exercise: config.Rate{Count: 2, Per: config.Duration(time.Minute)}})
	want := httpapi.DeclareLimits{Real: httpapi.Rate{Burst: 10, Every: 6 * time.Minute}, Exercise: httpapi.Rate{Burst: 2, Every: 30 * time.Second}}
	if got != want {
		t.Fatalf("limits %+v, want %+v", got, want)
	}
}

func TestNATSConfigFillsWhatFlagsLeaveOpen(t *testing.T) {
	n := config.NATS{URL: "tls://nats.example:4222", NkeyFile: "/etc/k/kaskade.nk", CAFile: "/etc/k/ca.pem",
		TLS: config.NATSServerTLS{CertFile: "/etc/k/s.pem", KeyFile: "/etc/k/s.key"}}
	o := withNATSConfig(Options{}, n)
	if o.NATSURL != n.URL || o.NATSClient.NkeyFile != n.NkeyFile || o.NATSClient.CA != n.CAFile || o.NATSServer.TLSCert != "/etc/k/s.pem" {
		t.Fatalf("from config: %+v", o)
	}
	flags := Options{NATSURL: "nats://other:4222", NATSClient: natsd.Client{User: "kaskade", CA: "/flag/ca.pem"}}
	o = withNATSConfig(flags, n)
	if o.NATSURL != "nats://other:4222" || o.NATSClient.User != "kaskade" || o.NATSClient.NkeyFile != "" || o.NATSClient.CA != "/flag/ca.pem" {
		t.Fatalf("flags must win: %+v", o)
	}
}
