package server

import (
	"cmp"

	"github.com/kaskade-bcm/kaskade/config"
)

// withNATSConfig fills what the flags left empty from the configuration's
// nats section: flags (and their environment variables) win.
func withNATSConfig(o Options, n config.NATS) Options {
	o.NATSURL = cmp.Or(o.NATSURL, n.URL)
	c := &o.NATSClient
	if c.Creds == "" && c.NkeyFile == "" && c.User == "" {
		c.Creds, c.NkeyFile, c.User = n.CredsFile, n.NkeyFile, n.User
	}
	if n.Password.IsSet() {
		c.Password = n.Password.Value()
	}
	c.CA = cmp.Or(c.CA, n.CAFile)
	if c.Cert == "" && c.Key == "" {
		c.Cert, c.Key = n.CertFile, n.KeyFile
	}
	t := &o.NATSServer
	if t.TLSCert == "" && t.TLSKey == "" {
		t.TLSCert, t.TLSKey = n.TLS.CertFile, n.TLS.KeyFile
	}
	t.TLSCA = cmp.Or(t.TLSCA, n.TLS.CAFile)
	return o
}
