package twilio_test

import (
	"bytes"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

const testFrom = "+4930123456"

// fake starts a twiliotest server on loopback.
func fake(t *testing.T, opts twiliotest.Options) (*twiliotest.Server, string) {
	t.Helper()
	f := twiliotest.NewServer(opts)
	hs := httptest.NewServer(f)
	t.Cleanup(func() {
		hs.Close()
		f.Close()
	})
	return f, hs.URL
}

// sender returns a Sender pointed at apiURL with the fake's credentials.
func sender(t *testing.T, f *twiliotest.Server, apiURL string, mod func(*twilio.Options)) *twilio.Sender {
	t.Helper()
	o := twilio.Options{
		AccountSID: f.AccountSID(),
		AuthToken:  f.AuthToken(),
		From:       testFrom,
		APIURL:     apiURL,
	}
	if mod != nil {
		mod(&o)
	}
	s, err := twilio.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// logBuffer is a concurrency-safe log sink.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func debugLogger(w *logBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
