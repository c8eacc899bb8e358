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

// SMSSizeRequest is the body of POST /api/v1/texts/sms: what a form is
// about to send. Purpose "alert" (default) measures a declaration of
// Scenario with Title, Message and Exercise; "update" and "stand_down"
// measure Text for Incident.
type SMSSizeRequest struct {
	Purpose  string `json:"purpose,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	Title    string `json:"title,omitempty"`
	Message  string `json:"message,omitempty"`
	Exercise bool   `json:"exercise,omitempty"`
	Incident string `json:"incident,omitempty"`
	Text     string `json:"text,omitempty"`
}

// SMSSize is the answer: the longest SMS the text makes and the budget.
type SMSSize struct {
	Segments int  `json:"segments"`
	Chars    int  `json:"chars"`
	Budget   int  `json:"budget"`
	MaxChars int  `json:"max_chars"`
	Fits     bool `json:"fits"`
}

// smsSize serves the forms' live counter; it changes nothing.
func (s *Server) smsSize(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	var req SMSSizeRequest
	if !s.decode(w, r, &req) {
		return
	}
	var inc activation.Declared
	purpose := notifiers.PurposeAlert
	switch req.Purpose {
	case "", "alert":
		sc, ok := s.config().Scenario(req.Scenario)
		if !ok {
			web.WriteError(w, http.StatusUnprocessableEntity, alerting.CodeUnknownScenario, "unknown scenario "+req.Scenario)
			return
		}
		inc = activation.Declared{Scenario: sc.ID, Title: req.Title, Message: req.Message, Exercise: req.Exercise, Severity: sc.Severity}
		if inc.Title == "" {
			inc.Title = sc.Name.DE
		}
	case "update", "stand_down":
		v, ok := s.opts.Engine.Incident(req.Incident)
		if !ok {
			web.WriteError(w, http.StatusNotFound, "unknown_incident", "no incident "+req.Incident)
			return
		}
		inc, purpose = declaredOf(v), notifiers.PurposeUpdate
		if req.Purpose == "stand_down" {
			purpose = notifiers.PurposeStandDown
		}
	default:
		web.WriteError(w, http.StatusBadRequest, "invalid_purpose", "purpose: use alert, update or stand_down")
		return
	}
	size, err := s.composer.MeasureSMS(purpose, inc, req.Text)
	if err != nil {
		web.WriteError(w, http.StatusInternalServerError, alerting.CodeInternal, "cannot compose the SMS: "+err.Error())
		return
	}
	web.WriteJSON(w, http.StatusOK, SMSSize{Segments: size.Segments, Chars: size.Chars, Budget: s.opts.SMSSegments,
		MaxChars: compose.MaxSMSChars, Fits: size.Segments <= s.opts.SMSSegments && size.Chars <= compose.MaxSMSChars})
}
