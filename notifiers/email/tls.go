package email

import (
	"crypto/tls"
	"fmt"
	"os"
	"sync"
	"time"
)

// ListenerTLS loads the listener's certificate and key (PEM files) for
// STARTTLS. The files are read again when they change, so a renewed
// certificate needs no restart; a broken renewal keeps the old one.
func ListenerTLS(certFile, keyFile string) (*tls.Config, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile}
	if err := r.load(); err != nil {
		return nil, err
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.get}, nil
}

type certReloader struct {
	certFile, keyFile string

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time // newest of both files when loaded
}

func (r *certReloader) modified() (time.Time, error) {
	var newest time.Time
	for _, f := range []string{r.certFile, r.keyFile} {
		st, err := os.Stat(f)
		if err != nil {
			return time.Time{}, fmt.Errorf("email: listener certificate: %w", err)
		}
		if st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	return newest, nil
}

func (r *certReloader) load() error {
	mod, err := r.modified()
	if err != nil {
		return err
	}
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("email: listener certificate: %w", err)
	}
	r.mu.Lock()
	r.cert, r.modTime = &cert, mod
	r.mu.Unlock()
	return nil
}

func (r *certReloader) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	if mod, err := r.modified(); err == nil {
		r.mu.Lock()
		changed := !mod.Equal(r.modTime)
		r.mu.Unlock()
		if changed {
			_ = r.load() // keep serving the old certificate on error
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}
