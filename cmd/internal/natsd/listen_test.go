package natsd

import (
	"crypto/tls"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// A client port other hosts can reach without TLS is warned about at start.
func TestPlainBeyondLoopback(t *testing.T) {
	for _, tc := range []struct {
		listen string
		tls    bool
		want   bool
	}{
		{"127.0.0.1:4222", false, false},
		{"[::1]:4222", false, false},
		{"localhost:4222", false, false},
		{"0.0.0.0:4222", false, true},
		{":4222", false, true},
		{"[::]:4222", false, true},
		{"10.1.2.3:4222", false, true},
		{"nats.example:4222", false, true},
		{"0.0.0.0:4222", true, false},
		{"off", false, false},
	} {
		o := &server.Options{DontListen: tc.listen == "off"}
		if !o.DontListen {
			if err := listenOptions(o, tc.listen); err != nil {
				t.Fatal(err)
			}
		}
		if tc.tls {
			o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if got := plainBeyondLoopback(o); got != tc.want {
			t.Errorf("listen %s, TLS %v: warned %v, want %v", tc.listen, tc.tls, got, tc.want)
		}
	}
}
