package httpapi

import (
	"fmt"
	"net/http"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/compose"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/notifiers"
)

// DefaultSMSSegments is the default budget of a composed SMS.
const DefaultSMSSegments = 3

// fits answers 400 too_long when the SMS composed for inc with text (the
// update or reason; "" for alerts) exceeds the segment budget or Twilio's
// 1,600 characters. what names the fields to shorten.
func (s *Server) fits(w http.ResponseWriter, purpose notifiers.Purpose, inc activation.Declared, text, what string) bool {
	size, err := s.composer.MeasureSMS(purpose, inc, text)
	if err != nil {
		web.WriteError(w, http.StatusInternalServerError, alerting.CodeInternal, "cannot compose the SMS: "+err.Error())
		return false
	}
	budget := s.opts.SMSSegments
	if size.Segments <= budget && size.Chars <= compose.MaxSMSChars {
		return true
	}
	web.WriteError(w, http.StatusBadRequest, alerting.CodeTooLong, fmt.Sprintf(
		"the SMS would take %d segments (%d characters) with the longest names; the budget is %d SMS and at most %d characters: shorten the %s",
		size.Segments, size.Chars, budget, compose.MaxSMSChars, what))
	return false
}

// declaredOf is what composing an update or stand-down needs of an incident.
func declaredOf(v activation.IncidentView) activation.Declared {
	return activation.Declared{ID: v.ID, Scenario: v.Scenario, Title: v.Title, Severity: v.Severity,
		Exercise: v.Exercise, ReplyCode: v.ReplyCode, Message: v.Message, DeclaredAt: v.DeclaredAt}
}
