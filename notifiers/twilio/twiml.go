package twilio

import (
	"encoding/xml"
	"net/http"
	"strings"
)

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>`

// TwiML renders the messaging response for text: one <Message> with text
// XML-escaped, or an empty <Response/> when text is "".
func TwiML(text string) string {
	if text == "" {
		return xmlHeader + "<Response/>"
	}
	var b strings.Builder
	b.WriteString(xmlHeader + "<Response><Message>")
	_ = xml.EscapeText(&b, []byte(text)) // a strings.Builder does not fail
	b.WriteString("</Message></Response>")
	return b.String()
}

func writeTwiML(rw http.ResponseWriter, text string) {
	rw.Header().Set("Content-Type", "text/xml; charset=utf-8")
	rw.WriteHeader(http.StatusOK)
	_, _ = rw.Write([]byte(TwiML(text)))
}
