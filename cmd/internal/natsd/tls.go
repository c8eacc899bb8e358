package natsd

import (
	"fmt"

	"github.com/nats-io/nats-server/v2/server"
)

// tlsOptions makes the client port serve TLS when a certificate is given;
// a CA makes the server require and verify client certificates.
func tlsOptions(o *server.Options, opts Options) error {
	switch {
	case opts.TLSCert == "" && opts.TLSKey == "" && opts.TLSCA == "":
		return nil
	case opts.TLSCert == "" || opts.TLSKey == "":
		return UsageError{"--nats-tls-cert and --nats-tls-key go together (--nats-tls-ca needs both)"}
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: opts.TLSCert, KeyFile: opts.TLSKey,
		CaFile: opts.TLSCA, Verify: opts.TLSCA != ""})
	if err != nil {
		return fmt.Errorf("natsd: embedded tls: %w", err)
	}
	o.TLSConfig, o.TLSVerify, o.TLSTimeout = tc, opts.TLSCA != "", 2
	return nil
}
