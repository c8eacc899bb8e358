package proposal

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/alerting/proposal/capschema"
)

// CAPNamespace is the XML namespace of CAP 1.2 documents.
const CAPNamespace = "urn:oasis:names:tc:emergency:cap:1.2"

// ErrInvalid marks a warning that is not valid; the message says why.
var ErrInvalid = errors.New("invalid warning")

// capAlert is the subset of CAP 1.2 that Kaskade reads; unknown elements
// (parameters, resources, polygons, …) are ignored.
type capAlert struct {
	XMLName     xml.Name  `xml:"alert"`
	Identifier  string    `xml:"identifier"`
	Sender      string    `xml:"sender"`
	Sent        string    `xml:"sent"`
	Status      string    `xml:"status"`
	MsgType     string    `xml:"msgType"`
	Scope       string    `xml:"scope"`
	Restriction string    `xml:"restriction"`
	Addresses   string    `xml:"addresses"`
	References  string    `xml:"references"`
	Infos       []capInfo `xml:"info"`
}

type capInfo struct {
	Language    string    `xml:"language"`
	Categories  []string  `xml:"category"`
	Event       string    `xml:"event"`
	Urgency     string    `xml:"urgency"`
	Severity    string    `xml:"severity"`
	Certainty   string    `xml:"certainty"`
	Headline    string    `xml:"headline"`
	Description string    `xml:"description"`
	Areas       []capArea `xml:"area"`
}

type capArea struct {
	Desc string `xml:"areaDesc"`
}

// ParseCAP reads one CAP 1.2 alert, validates it against the CAP 1.2
// schema (capschema) and the rules the schema cannot say, and returns it as
// a Warning. The first info block in German (else the first) gives event,
// headline and text.
func ParseCAP(data []byte) (Warning, error) {
	if err := capschema.Validate(data); err != nil {
		return Warning{}, fmt.Errorf("%w: CAP 1.2 schema: %w", ErrInvalid, err)
	}
	var a capAlert
	// encoding/xml expands no external entities, and the schema check refused any DTD.
	if err := xml.NewDecoder(bytes.NewReader(data)).Decode(&a); err != nil {
		return Warning{}, fmt.Errorf("%w: not CAP XML: %v", ErrInvalid, err)
	}
	sent, err := validateCAP(&a)
	if err != nil {
		return Warning{}, err
	}
	w := Warning{Source: SourceCAP, SourceID: a.Sender + "," + a.Identifier, Sent: sent, Exercise: a.Status == "Exercise"}
	switch a.MsgType {
	case "Alert":
		w.Kind = KindNew
	case "Update":
		w.Kind = KindUpdate
	case "Cancel":
		w.Kind = KindCancel
	default:
		return Warning{}, fmt.Errorf("%w: msgType %s carries no warning", ErrInvalid, a.MsgType)
	}
	w.References = capReferences(a.References)
	if (w.Kind == KindUpdate || w.Kind == KindCancel) && len(w.References) == 0 {
		return Warning{}, fmt.Errorf("%w: %s without references", ErrInvalid, a.MsgType)
	}
	if len(a.Infos) > 0 {
		in := a.Infos[0]
		for _, i := range a.Infos {
			if strings.HasPrefix(strings.ToLower(i.Language), "de") {
				in = i
				break
			}
		}
		w.Event, w.Headline, w.Description = in.Event, in.Headline, in.Description
		w.Severity, w.Urgency = in.Severity, in.Urgency
		for _, ar := range in.Areas {
			w.Areas = append(w.Areas, ar.Desc)
		}
	}
	return w, nil
}

// validateCAP checks what the schema leaves open: required elements are
// not blank, identifiers hold no separators, the status is one to act on
// and a restricted or private scope says for whom.
func validateCAP(a *capAlert) (time.Time, error) {
	bad := func(format string, args ...any) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
	}
	for _, f := range []struct{ name, v string }{{"identifier", a.Identifier}, {"sender", a.Sender}, {"sent", a.Sent},
		{"status", a.Status}, {"msgType", a.MsgType}, {"scope", a.Scope}} {
		if strings.TrimSpace(f.v) == "" {
			return bad("<%s> is empty", f.name)
		}
	}
	if strings.ContainsAny(a.Identifier+a.Sender, " ,<&") {
		return bad("identifier and sender must not contain spaces, commas or restricted characters")
	}
	// CAP times carry an explicit offset; "Z" is not allowed (UTC is -00:00).
	sent, err := time.Parse("2006-01-02T15:04:05-07:00", strings.TrimSpace(a.Sent))
	if err != nil {
		return bad("sent %q is not a CAP date-time (2006-01-02T15:04:05+01:00)", a.Sent)
	}
	switch {
	case a.Status == "Test" || a.Status == "System" || a.Status == "Draft":
		return bad("status %s is not a warning to act on", a.Status)
	case a.Scope == "Restricted" && a.Restriction == "":
		return bad("scope Restricted needs <restriction>")
	case a.Scope == "Private" && a.Addresses == "":
		return bad("scope Private needs <addresses>")
	}
	for i, in := range a.Infos {
		if strings.TrimSpace(in.Event) == "" {
			return bad("info %d: required element <event> missing", i+1)
		}
		for j, ar := range in.Areas {
			if strings.TrimSpace(ar.Desc) == "" {
				return bad("info %d, area %d: <areaDesc> is empty", i+1, j+1)
			}
		}
	}
	return sent, nil
}

// capReferences turns "sender,identifier,sent …" into SourceIDs.
func capReferences(refs string) []string {
	var out []string
	for _, r := range strings.Fields(refs) {
		parts := strings.Split(r, ",")
		if len(parts) == 3 && parts[0] != "" && parts[1] != "" {
			out = append(out, parts[0]+","+parts[1])
		}
	}
	return out
}
