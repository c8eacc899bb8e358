package natsd

import (
	"flag"
	"os"
)

// RegisterFlags adds the external cluster's credential and TLS flags; each
// defaults to an environment variable (KASKADE_NATS_CREDS, …).
func (c *Client) RegisterFlags(fs *flag.FlagSet) {
	for _, f := range []struct {
		p          *string
		name, help string
	}{
		{&c.Creds, "nats-creds", "credentials file (JWT and seed) for --nats-url"},
		{&c.NkeyFile, "nats-nkey", "nkey seed file for --nats-url"},
		{&c.User, "nats-user", "user name for --nats-url; password from $" + PasswordEnv + " or --nats-password-file"},
		{&c.PasswordFile, "nats-password-file", "file holding the password of --nats-user"},
		{&c.CA, "nats-ca", "CA certificate file to verify the NATS servers of --nats-url"},
		{&c.Cert, "nats-cert", "client certificate file for mutual TLS with --nats-url (with --nats-key)"},
		{&c.Key, "nats-key", "client key file for mutual TLS with --nats-url"},
	} {
		fs.StringVar(f.p, f.name, os.Getenv(envName(f.name)), f.help+" (env "+envName(f.name)+")")
	}
}

// RegisterTLSFlags adds the embedded server's TLS flags.
func (o *Options) RegisterTLSFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.TLSCert, "nats-tls-cert", os.Getenv("KASKADE_NATS_TLS_CERT"), "certificate file: the embedded NATS serves TLS on its client port (env KASKADE_NATS_TLS_CERT)")
	fs.StringVar(&o.TLSKey, "nats-tls-key", os.Getenv("KASKADE_NATS_TLS_KEY"), "key file of --nats-tls-cert (env KASKADE_NATS_TLS_KEY)")
	fs.StringVar(&o.TLSCA, "nats-tls-ca", os.Getenv("KASKADE_NATS_TLS_CA"), "CA file: the embedded NATS requires client certificates signed by it (env KASKADE_NATS_TLS_CA)")
}

// RegisterStoreFlags adds the flags of the store's encryption at rest; the
// key itself comes only from the environment ($KASKADE_STORE_KEY) or a file.
func (o *Options) RegisterStoreFlags(fs *flag.FlagSet) {
	o.StoreKey, o.StoreOldKey = os.Getenv(StoreKeyEnv), os.Getenv(StoreOldKeyEnv)
	fs.StringVar(&o.StoreCipher, "store-cipher", os.Getenv("KASKADE_STORE_CIPHER"), "encryption of the embedded JetStream store: chacha (default), aes or none (env KASKADE_STORE_CIPHER)")
	fs.StringVar(&o.StoreKeyFile, "store-key-file", os.Getenv("KASKADE_STORE_KEY_FILE"), "file holding the store key; default $"+StoreKeyEnv+", else a key generated into <data>/nats/store.key (env KASKADE_STORE_KEY_FILE)")
}

// envName is KASKADE_NATS_CREDS for nats-creds.
func envName(flagName string) string {
	b := []byte("KASKADE_" + flagName)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}
