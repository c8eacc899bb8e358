package natsd

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// PasswordEnv holds the password of --nats-user.
const PasswordEnv = "KASKADE_NATS_PASSWORD"

// Client is how Kaskade authenticates to an external NATS cluster: one of a
// credentials file (JWT), an nkey seed, or a user with a password (from the
// environment or a file); optionally TLS with a CA and a client certificate.
type Client struct {
	URL          string // one or more URLs, comma-separated
	Creds        string // --nats-creds
	NkeyFile     string // --nats-nkey (seed)
	User         string // --nats-user
	PasswordFile string // --nats-password-file; else $KASKADE_NATS_PASSWORD
	CA           string // --nats-ca
	Cert, Key    string // --nats-cert, --nats-key (mutual TLS)
	// Password is the configuration's nats.password, used when neither
	// --nats-password-file nor the environment gives one. Never printed.
	Password string `json:"-"`
}

// Options returns the connection options of Kaskade's own identity.
func (c Client) Options() ([]nats.Option, error) {
	opts := []nats.Option{nats.CustomInboxPrefix(ServiceInboxPrefix)}
	n := 0
	for _, set := range []string{c.Creds, c.NkeyFile, c.User} {
		if set != "" {
			n++
		}
	}
	if n > 1 {
		return nil, UsageError{"use one of --nats-creds, --nats-nkey, --nats-user"}
	}
	switch {
	case c.Creds != "":
		opts = append(opts, nats.UserCredentials(c.Creds))
	case c.NkeyFile != "":
		o, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, fmt.Errorf("natsd: --nats-nkey: %w", err)
		}
		opts = append(opts, o)
	case c.User != "":
		pw, err := c.password()
		if err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserInfo(c.User, pw))
	case c.PasswordFile != "":
		return nil, UsageError{"--nats-password-file needs --nats-user"}
	}
	if (c.Cert == "") != (c.Key == "") {
		return nil, UsageError{"--nats-cert and --nats-key go together"}
	}
	if c.CA != "" {
		opts = append(opts, nats.RootCAs(c.CA))
	}
	if c.Cert != "" {
		opts = append(opts, nats.ClientCert(c.Cert, c.Key))
	}
	return opts, nil
}

func (c Client) password() (string, error) {
	if c.PasswordFile != "" {
		b, err := os.ReadFile(c.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("natsd: --nats-password-file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	pw, ok := os.LookupEnv(PasswordEnv)
	if !ok && c.Password == "" {
		return "", UsageError{"--nats-user needs a password: set " + PasswordEnv + ", --nats-password-file or nats.password"}
	}
	if !ok {
		return c.Password, nil
	}
	return pw, nil
}

// Connect connects to the external cluster as Kaskade's own identity. Its
// errors never carry the user information of the URL.
func (c Client) Connect(extra ...nats.Option) (*nats.Conn, error) {
	opts, err := c.Options()
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(c.URL, append(opts, extra...)...)
	if err != nil {
		return nil, RedactError(fmt.Errorf("nats %s: %w", Redact(c.URL), err), c.URL)
	}
	if err := checkJetStreamAPI(nc); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// jsAPIInfo is the JetStream API's account information request.
const jsAPIInfo = "$JS.API.INFO"

// checkJetStreamAPI asks for the account's JetStream information once. Only
// a refusal by the server's permissions fails it: the streams could never
// be made, and retrying them ran for over a minute with raw "permissions
// violation" lines on stderr. No answer or no JetStream yet (a cluster
// still forming) is left to the retries of the stream setup.
func checkJetStreamAPI(nc *nats.Conn) error {
	refused := make(chan error, 1)
	prev := nc.ErrorHandler()
	nc.SetErrorHandler(func(c *nats.Conn, sub *nats.Subscription, err error) {
		if errors.Is(err, nats.ErrPermissionViolation) && strings.Contains(err.Error(), jsAPIInfo) {
			select {
			case refused <- err:
			default:
			}
			return
		}
		if prev != nil {
			prev(c, sub, err)
		}
	})
	defer nc.SetErrorHandler(prev)
	if _, err := nc.Request(jsAPIInfo, nil, 2*time.Second); err == nil || !errors.Is(err, nats.ErrTimeout) {
		return nil
	}
	select {
	case err := <-refused:
		return fmt.Errorf("natsd: Kaskade's NATS identity may not use the JetStream API (%w): it needs publish and subscribe on everything in its account, see deploy/nats/accounts.conf", err)
	case <-time.After(100 * time.Millisecond):
		return nil
	}
}

// userInfo matches the user information of a URL: scheme://user:pw@
var userInfo = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s,]*@`)

// Redact replaces the user information of every URL in s (comma-separated
// lists included) with "redacted", for logs, errors and metrics.
func Redact(s string) string {
	return userInfo.ReplaceAllString(s, "${1}redacted@")
}

// RedactError returns err with the user information of rawURL removed from
// its message (parsers quote the URL they failed on), still wrapping err.
func RedactError(err error, rawURL string) error {
	if err == nil {
		return nil
	}
	msg := Redact(err.Error())
	for _, secret := range secrets(rawURL) {
		msg = strings.ReplaceAll(msg, secret, "redacted")
	}
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

// secrets are the passwords (or tokens: user information without a colon)
// in a list of URLs; user names are not secret.
func secrets(rawURL string) []string {
	var out []string
	for _, m := range userInfo.FindAllString(rawURL, -1) {
		info := m[strings.Index(m, "://")+3 : len(m)-1]
		if _, pw, ok := strings.Cut(info, ":"); ok {
			info = pw
		}
		if info == "" {
			continue
		}
		out = append(out, info)
		if u, err := url.PathUnescape(info); err == nil && u != info {
			out = append(out, u)
		}
	}
	return out
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
