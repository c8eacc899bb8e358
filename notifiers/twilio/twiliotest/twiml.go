package twiliotest

import (
	"encoding/xml"
	"fmt"
	"strings"
	"time"
)

// twimlVerb is one TwiML element with its attributes, text and nested verbs.
type twimlVerb struct {
	XMLName  xml.Name
	Attrs    []xml.Attr  `xml:",any,attr"`
	Text     string      `xml:",chardata"`
	Children []twimlVerb `xml:",any"`
}

func (v *twimlVerb) attrOK(name string) (string, bool) {
	for _, a := range v.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (v *twimlVerb) attr(name string) string {
	s, _ := v.attrOK(name)
	return s
}

// parseTwiML parses a <Response> document into its verbs.
func parseTwiML(doc string) ([]twimlVerb, error) {
	var root twimlVerb
	if err := xml.NewDecoder(strings.NewReader(doc)).Decode(&root); err != nil {
		return nil, fmt.Errorf("twiliotest: TwiML: %w", err)
	}
	if root.XMLName.Local != "Response" {
		return nil, fmt.Errorf("twiliotest: TwiML root is <%s>, want <Response>", root.XMLName.Local)
	}
	return root.Children, nil
}

// callJSON is api.v2010.account.call as Twilio serialises it.
type callJSON struct {
	AccountSID      string            `json:"account_sid"`
	AnsweredBy      *string           `json:"answered_by"`
	APIVersion      string            `json:"api_version"`
	CallerName      *string           `json:"caller_name"`
	DateCreated     string            `json:"date_created"`
	DateUpdated     string            `json:"date_updated"`
	Direction       string            `json:"direction"`
	Duration        *string           `json:"duration"`
	EndTime         *string           `json:"end_time"`
	ForwardedFrom   *string           `json:"forwarded_from"`
	From            string            `json:"from"`
	FromFormatted   string            `json:"from_formatted"`
	GroupSID        *string           `json:"group_sid"`
	ParentCallSID   *string           `json:"parent_call_sid"`
	PhoneNumberSID  *string           `json:"phone_number_sid"`
	Price           *string           `json:"price"`
	PriceUnit       string            `json:"price_unit"`
	QueueTime       string            `json:"queue_time"`
	SID             string            `json:"sid"`
	StartTime       *string           `json:"start_time"`
	Status          string            `json:"status"`
	SubresourceURIs map[string]string `json:"subresource_uris"`
	To              string            `json:"to"`
	ToFormatted     string            `json:"to_formatted"`
	TrunkSID        *string           `json:"trunk_sid"`
	URI             string            `json:"uri"`
}

func callResource(c Call) callJSON {
	uri := "/2010-04-01/Accounts/" + c.AccountSID + "/Calls/" + c.SID
	return callJSON{
		AccountSID: c.AccountSID, APIVersion: "2010-04-01",
		DateCreated: c.Created.Format(time.RFC1123Z), DateUpdated: c.Updated.Format(time.RFC1123Z),
		Direction: "outbound-api", From: c.From, FromFormatted: c.From, PriceUnit: "USD", QueueTime: "0",
		SID: c.SID, Status: c.Status, To: c.To, ToFormatted: c.To, URI: uri + ".json",
		SubresourceURIs: map[string]string{
			"notifications": uri + "/Notifications.json", "recordings": uri + "/Recordings.json",
			"payments": uri + "/Payments.json", "events": uri + "/Events.json",
			"siprec": uri + "/Siprec.json", "streams": uri + "/Streams.json",
			"transcriptions": uri + "/Transcriptions.json", "user_defined_message_subscriptions": uri + "/UserDefinedMessageSubscriptions.json",
			"user_defined_messages": uri + "/UserDefinedMessages.json",
		},
	}
}
