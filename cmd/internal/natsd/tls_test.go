package natsd_test

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd/natstest"
)

func TestTheEmbeddedServerServesTLS(t *testing.T) {
	ca := natstest.NewCA(t)
	cert, key := ca.Server()
	clientCert, clientKey := ca.Client()
	other := natstest.NewCA(t)
	for _, tc := range []struct {
		name   string
		mutual bool
		opts   []nats.Option
		ok     bool
	}{
		{"trusted CA", false, []nats.Option{nats.RootCAs(ca.File)}, true},
		{"unknown CA", false, []nats.Option{nats.RootCAs(other.File)}, false},
		{"mutual with a client certificate", true, []nats.Option{nats.RootCAs(ca.File), nats.ClientCert(clientCert, clientKey)}, true},
		{"mutual without a client certificate", true, []nats.Option{nats.RootCAs(ca.File)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dataDir := t.TempDir()
			o := natsd.Options{DataDir: dataDir, TLSCert: cert, TLSKey: key}
			if tc.mutual {
				o.TLSCA = ca.File
			}
			e := start(t, o)
			auth, err := nats.NkeyOptionFromSeed(natsd.ServiceSeedFile(dataDir))
			if err != nil {
				t.Fatal(err)
			}
			nc, err := nats.Connect(e.ClientURL(), append(tc.opts, auth, nats.NoReconnect())...)
			if (err == nil) != tc.ok {
				t.Fatalf("connect to %s: %v", e.ClientURL(), err)
			}
			if err == nil {
				if !nc.TLSRequired() {
					t.Error("connection without TLS")
				}
				nc.Close()
			}
			// Kaskade's own in-process connection needs no certificate.
			in, err := e.Connect()
			if err != nil {
				t.Fatal(err)
			}
			in.Close()
		})
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	ca := natstest.NewCA(t)
	cert, _ := ca.Server()
	_, err := natsd.Start(natsd.Options{DataDir: t.TempDir(), Listen: "127.0.0.1:0", TLSCert: cert})
	if _, ok := err.(natsd.UsageError); !ok {
		t.Fatalf("err = %v, want a usage error", err)
	}
}
