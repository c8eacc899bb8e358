package ack

import (
	"context"
	"errors"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Answer kinds a staff member can give on the page.
const (
	AnswerAvailable   = "available"
	AnswerDelayed     = "delayed"
	AnswerUnavailable = "unavailable"
)

// delayChoices are the minutes offered for "Ich komme später".
func delayChoices() []int { return []int{15, 30, 45, 60, 90, 120} }

// Sink errors the handler understands. Wrap them with %w.
var (
	// ErrUnavailable means the store cannot be reached right now; the page
	// asks the person to try again (503). It is notifiers.ErrUnavailable.
	ErrUnavailable = notifiers.ErrUnavailable
	// ErrClosed means the incident was stood down; nothing was recorded.
	ErrClosed = errors.New("ack: incident is closed")
)

// Sink reads and records a person's answer. The handler checks Known and
// Open via Current before calling Record; Record should still refuse with
// ErrClosed when the incident was stood down in between.
type Sink interface {
	Current(ctx context.Context, c Claims) (Status, error)
	// Record stores kind (available, delayed, unavailable) with minutes
	// (delayed only, else 0) and returns the resulting status. Recording
	// the same answer twice must be harmless.
	Record(ctx context.Context, c Claims, kind string, minutes int) (Status, error)
}

// Status is what the page shows about a person in an incident.
type Status struct {
	IncidentTitle string
	Exercise      bool
	PersonName    string
	// Language is "de" (default) or "en".
	Language string
	// Answer is the current answer kind or "".
	Answer     string
	ETA        *time.Time
	AnsweredAt *time.Time
	// Open is false once the incident is stood down.
	Open bool
	// Known is false when the incident or person is unknown.
	Known bool
}
