package config

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// MaxSMSSegments is the largest sms_segment_budget: ten GSM-7 segments
// are 1,530 characters, under MaxSMSChars.
const MaxSMSSegments = 10

// MaxSMSChars is the longest text Twilio accepts.
const MaxSMSChars = 1600

// nats checks the nats section and makes its file names absolute.
func (v *validator) nats() {
	n := &v.c.NATS
	const p = "nats"
	if n.URL != "" {
		for _, raw := range strings.Split(n.URL, ",") {
			u, err := url.Parse(strings.TrimSpace(raw))
			switch {
			case err != nil || u.Host == "" || !slices.Contains([]string{"nats", "tls", "ws", "wss"}, u.Scheme):
				v.errorf(p+".url", "each URL must be nats://, tls://, ws:// or wss:// with a host, got %q", strings.TrimSpace(raw))
			case u.User != nil:
				if _, hasPW := u.User.Password(); hasPW {
					v.errorf(p+".url", "the URL holds a password; put the password in nats.password ({env: …} or {file: …}) and the name in nats.user")
				}
			}
		}
	}
	auth := 0
	for _, s := range []string{n.CredsFile, n.NkeyFile, n.User} {
		if s != "" {
			auth++
		}
	}
	pwWritten := n.Password.IsSet() || n.Password.Env != "" || n.Password.File != ""
	switch {
	case auth > 1:
		v.errorf(p, "use one of creds_file, nkey_file, user")
	case n.User != "" && !pwWritten:
		v.errorf(p+".password", "is required with user")
	case n.User == "" && pwWritten:
		v.errorf(p+".user", "password needs a user")
	}
	if (n.CertFile == "") != (n.KeyFile == "") {
		v.errorf(p, "cert_file and key_file go together")
	}
	if n.URL == "" && (auth > 0 || n.CAFile != "" || n.CertFile != "") {
		v.warnf(p, "credentials and certificates are only used with an external NATS (nats.url or --nats-url)")
	}
	t := &n.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		v.errorf(p+".tls", "cert_file and key_file go together")
	} else if t.CAFile != "" && t.CertFile == "" {
		v.errorf(p+".tls", "ca_file needs cert_file and key_file: the server must serve TLS to ask for client certificates")
	}
	for _, f := range []struct {
		path string
		name *string
	}{
		{"creds_file", &n.CredsFile}, {"nkey_file", &n.NkeyFile}, {"ca_file", &n.CAFile}, {"cert_file", &n.CertFile},
		{"key_file", &n.KeyFile}, {"tls.cert_file", &t.CertFile}, {"tls.key_file", &t.KeyFile}, {"tls.ca_file", &t.CAFile},
	} {
		v.readableFile(p+"."+f.path, f.name)
	}
}

// readableFile makes *name absolute (relative to the configuration file) and
// checks that it can be opened.
func (v *validator) readableFile(path string, name *string) {
	if *name == "" {
		return
	}
	if !filepath.IsAbs(*name) {
		*name = filepath.Join(filepath.Dir(v.file), *name)
	}
	f, err := os.Open(*name)
	if err != nil {
		v.errorf(path, "cannot read: %v", err)
		return
	}
	f.Close()
}
