package twiliotest

import (
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/kaskade-bcm/kaskade/notifiers/gsm7"
)

// magicFailures are Twilio's test-credential magic "To" numbers.
func magicFailure(to string) (Failure, bool) {
	switch to {
	case "+15005550001":
		return Failure{Status: 400, Code: 21211, Message: "The 'To' number " + to + " is not a valid phone number."}, true
	case "+15005550002":
		return Failure{Status: 400, Code: 21612}, true
	case "+15005550003":
		return Failure{Status: 400, Code: 21408}, true
	case "+15005550004":
		return Failure{Status: 400, Code: 21610}, true
	case "+15005550009":
		return Failure{Status: 400, Code: 21614, Message: "'To' number " + to + " is not a valid mobile number"}, true
	}
	return Failure{}, false
}

func (s *Server) create(w http.ResponseWriter, r *http.Request, account string) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, Failure{Status: 400, Code: 20001, Message: "Invalid form body: " + err.Error()}, 0)
		return
	}
	f := r.PostForm
	m := &Message{
		AccountSID:          account,
		To:                  f.Get("To"),
		From:                f.Get("From"),
		MessagingServiceSID: f.Get("MessagingServiceSid"),
		Body:                f.Get("Body"),
		StatusCallback:      f.Get("StatusCallback"),
	}
	switch {
	case m.To == "":
		s.fail(w, Failure{Status: 400, Code: 21604}, 0)
		return
	case m.From == "" && m.MessagingServiceSID == "":
		s.fail(w, Failure{Status: 400, Code: 21603}, 0)
		return
	case m.Body == "" && f.Get("MediaUrl") == "" && f.Get("ContentSid") == "":
		s.fail(w, Failure{Status: 400, Code: 21602}, 0)
		return
	case utf8.RuneCountInString(m.Body) > 1600:
		s.fail(w, Failure{Status: 400, Code: 21617}, 0)
		return
	case !isE164(m.To):
		s.fail(w, Failure{Status: 400, Code: 21211, Message: "The 'To' number " + m.To + " is not a valid phone number."}, 0)
		return
	}
	if v := f.Get("ValidityPeriod"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 36000 {
			s.fail(w, Failure{Status: 400, Code: 20001, Message: "ValidityPeriod must be between 1 and 36000"}, 0) // code approximated
			return
		}
		m.ValidityPeriod = n
	}
	if fl, ok := magicFailure(m.To); ok {
		s.fail(w, fl, 0)
		return
	}
	if fl, ok := s.opts.Failures[m.To]; ok {
		s.fail(w, fl, 0)
		return
	}
	now := s.opts.Clock().UTC()
	_, m.NumSegments, _ = gsm7.Segments(m.Body)
	m.SID = newSID("SM")
	m.Status = "queued"
	if m.MessagingServiceSID != "" {
		m.Status = "accepted"
	}
	m.Created, m.Updated = now, now

	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.bySID[m.SID] = m
	snapshot := *m
	s.mu.Unlock()
	s.accepted.Add(1)
	if s.opts.OnMessage != nil {
		s.opts.OnMessage(snapshot)
	}
	writeJSON(w, http.StatusCreated, resource(snapshot))
	if snapshot.StatusCallback != "" {
		s.cb.enqueue(snapshot)
	}
}

func (s *Server) fetch(w http.ResponseWriter, sid string) {
	m, ok := s.Message(sid)
	if !ok {
		s.fail(w, Failure{Status: http.StatusNotFound, Code: 20404,
			Message: "The requested resource /2010-04-01/Accounts/" + s.opts.AccountSID + "/Messages/" + sid + ".json was not found"}, 0)
		return
	}
	writeJSON(w, http.StatusOK, resource(m))
}

// setStatus records a delivery status reported by a callback.
func (s *Server) setStatus(sid, status string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.bySID[sid]; ok {
		m.Status, m.ErrorCode, m.Updated = status, code, s.opts.Clock().UTC()
	}
}

// messageJSON is api.v2010.account.message as Twilio serialises it.
type messageJSON struct {
	AccountSID          string            `json:"account_sid"`
	APIVersion          string            `json:"api_version"`
	Body                string            `json:"body"`
	DateCreated         string            `json:"date_created"`
	DateSent            *string           `json:"date_sent"`
	DateUpdated         string            `json:"date_updated"`
	Direction           string            `json:"direction"`
	ErrorCode           *int              `json:"error_code"`
	ErrorMessage        *string           `json:"error_message"`
	From                *string           `json:"from"`
	MessagingServiceSID *string           `json:"messaging_service_sid"`
	NumMedia            string            `json:"num_media"`
	NumSegments         string            `json:"num_segments"`
	Price               *string           `json:"price"`
	PriceUnit           string            `json:"price_unit"`
	SID                 string            `json:"sid"`
	Status              string            `json:"status"`
	SubresourceURIs     map[string]string `json:"subresource_uris"`
	To                  string            `json:"to"`
	URI                 string            `json:"uri"`
}

func resource(m Message) messageJSON {
	uri := "/2010-04-01/Accounts/" + m.AccountSID + "/Messages/" + m.SID
	j := messageJSON{
		AccountSID:      m.AccountSID,
		APIVersion:      "2010-04-01",
		Body:            m.Body,
		DateCreated:     m.Created.Format(time.RFC1123Z),
		DateUpdated:     m.Updated.Format(time.RFC1123Z),
		Direction:       "outbound-api",
		NumMedia:        "0",
		NumSegments:     strconv.Itoa(m.NumSegments),
		PriceUnit:       "USD",
		SID:             m.SID,
		Status:          m.Status,
		SubresourceURIs: map[string]string{"media": uri + "/Media.json"},
		To:              m.To,
		URI:             uri + ".json",
	}
	if m.From != "" {
		j.From = &m.From
	}
	if m.MessagingServiceSID != "" {
		j.MessagingServiceSID = &m.MessagingServiceSID
	}
	if m.Status != "queued" && m.Status != "accepted" {
		sent := m.Updated.Format(time.RFC1123Z)
		j.DateSent = &sent
	}
	if m.ErrorCode != 0 {
		j.ErrorCode = &m.ErrorCode
		msg := "Error " + strconv.Itoa(m.ErrorCode)
		j.ErrorMessage = &msg
	}
	return j
}

// isE164 reports whether s is + followed by 7..15 digits, not starting with 0.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
