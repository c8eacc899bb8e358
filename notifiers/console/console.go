// Package console is the channel that needs nothing external: each message
// becomes a log line and a JSON line in an outbox file, so a first run (and
// an exercise on a laptop) shows what staff would receive. The outbox holds
// no usable ack links, cuts long texts and rotates (size cap, N old files).
package console

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Options configure the console notifier.
type Options struct {
	// OutboxPath is the JSONL file messages are appended to ("" = log only).
	OutboxPath string
	// MaxBytes rotates the outbox to OutboxPath.1 when a line would pass it
	// (default 10 MiB); Keep old files are kept (default 5).
	MaxBytes int64
	Keep     int
	// MaxText cuts texts to this many characters (default 480).
	MaxText int
	Logger  *slog.Logger
	Now     func() time.Time
}

// Defaults of Options.
const (
	DefaultMaxBytes = 10 << 20
	DefaultKeep     = 5
	DefaultMaxText  = 480
)

// Notifier writes messages to the log and the outbox.
type Notifier struct {
	opts Options
	mu   sync.Mutex
	file *rotating
}

// Entry is one outbox line.
type Entry struct {
	At       time.Time         `json:"at"`
	ID       string            `json:"id"`
	Incident string            `json:"incident"`
	Person   string            `json:"person"`
	Channel  string            `json:"channel"`
	Purpose  notifiers.Purpose `json:"purpose"`
	Exercise bool              `json:"exercise"`
	To       string            `json:"to"` // masked
	Subject  string            `json:"subject,omitempty"`
	Text     string            `json:"text"`
}

// New opens (appends to) the outbox file.
func New(opts Options) (*Notifier, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.MaxBytes = cmp.Or(opts.MaxBytes, DefaultMaxBytes)
	opts.Keep = cmp.Or(opts.Keep, DefaultKeep)
	opts.MaxText = cmp.Or(opts.MaxText, DefaultMaxText)
	n := &Notifier{opts: opts}
	if opts.OutboxPath != "" {
		f, err := openRotating(opts.OutboxPath, opts.MaxBytes, opts.Keep)
		if err != nil {
			return nil, fmt.Errorf("console: outbox: %w", err)
		}
		n.file = f
	}
	return n, nil
}

// Notify records the message; the console "delivers" every message that
// has an address. Without one the send fails for good, as a real channel's would.
func (n *Notifier) Notify(_ context.Context, m notifiers.Message) (notifiers.Receipt, error) {
	if m.To == "" {
		n.opts.Logger.Info("outbox: no address; not delivered", "id", m.ID, "channel", m.Channel, "person", m.Person)
		return notifiers.Receipt{State: notifiers.StateFailed, Code: notifiers.CodeNoAddress, Detail: notifiers.ErrNoAddress.Error()}, nil
	}
	e := Entry{At: n.opts.Now(), ID: m.ID, Incident: m.Incident, Person: m.Person, Channel: m.Channel,
		Purpose: m.Purpose, Exercise: m.Exercise, To: notifiers.Mask(m.To), Subject: redact(m.Subject, n.opts.MaxText), Text: redact(m.Text, n.opts.MaxText)}
	n.opts.Logger.Info("outbox", "id", m.ID, "channel", m.Channel, "person", m.Person, "to", e.To, "text", firstLine(e.Text))
	if n.file != nil {
		line, err := json.Marshal(e)
		if err != nil {
			return notifiers.Receipt{}, fmt.Errorf("console: encode: %w", err)
		}
		n.mu.Lock()
		err = n.file.Write(append(line, '\n'))
		n.mu.Unlock()
		if err != nil {
			return notifiers.Receipt{}, &notifiers.TemporaryError{Code: "outbox", Err: err}
		}
	}
	return notifiers.Receipt{State: notifiers.StateDelivered, ProviderID: "console-" + m.ID}, nil
}

// Close closes the outbox.
func (n *Notifier) Close() error {
	if n.file == nil {
		return nil
	}
	return n.file.Close()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
