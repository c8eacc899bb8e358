package capschema_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/proposal/capschema"
)

// samples are valid CAP 1.2 alerts in the style of the DWD and MoWaS.
var samples = []string{"dwd-unwetter.xml", "dwd-cancel.xml", "mowas-gefahr.xml"}

func read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// violation is a sample with one change: valid or not, and if not, the
// element and line (of the marker at) the error must name.
type violation struct {
	name, file, old, new string
	element, at, reason  string // reason "": the change keeps the alert valid
	// libxml2 says otherwise, and why Kaskade is right (TestAgreesWithXmllint skips it)
	libxml2Differs string
}

const sig = `<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo/></Signature>`

var violations = []violation{
	{"missing identifier", "dwd-unwetter.xml", "<identifier>2.49.0.0.276.0.DWD.PVW.1764748800000.3f6a1c9e-7b2d-4c1e-9a0f-5d2e8b7c6a41</identifier>", "",
		"identifier", "<sender>", "required element missing in <alert>, found <sender>", ""},
	{"status after msgType", "dwd-unwetter.xml", "<status>Actual</status>\n  <msgType>Alert</msgType>", "<msgType>Alert</msgType>\n  <status>Actual</status>",
		"status", "<status>", "out of order: it must come before <msgType>", ""},
	{"bad severity", "dwd-unwetter.xml", "<severity>Severe</severity>", "<severity>Bad</severity>",
		"severity", "<severity>", `"Bad" is not one of Extreme, Severe, Moderate, Minor, Unknown`, ""},
	{"severity with blanks", "dwd-unwetter.xml", "<severity>Severe</severity>", "<severity> Severe</severity>",
		"severity", "<severity>", "is not one of", ""},
	{"Very Likely", "dwd-unwetter.xml", "<certainty>Likely</certainty>", "<certainty>Very Likely</certainty>",
		"certainty", "<certainty>", "is not one of", ""},
	{"sent in Z", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-12-03T07:00:00Z</sent>",
		"sent", "<sent>", "does not match the CAP form", ""},
	{"sent with fraction", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-12-03T08:00:00.5+01:00</sent>",
		"sent", "<sent>", "does not match the CAP form", ""},
	{"30 February", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-02-30T08:00:00+01:00</sent>",
		"sent", "<sent>", "not a valid dateTime", ""},
	{"offset 15 hours", "dwd-unwetter.xml", "<onset>2026-12-03T08:00:00+01:00", "<onset>2026-12-03T08:00:00+15:00",
		"onset", "<onset>", "not a valid dateTime", ""},
	{"offset as comma", "dwd-unwetter.xml", "<onset>2026-12-03T08:00:00+01:00", "<onset>2026-12-03T08:00:00,01:00",
		"onset", "<onset>", "not a valid dateTime", ""},
	{"end of day", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-12-03T24:00:00+01:00</sent>", "", "", "", ""},
	{"leap day", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2028-02-29T08:00:00+01:00</sent>", "", "", "", ""},
	{"UTC as -00:00", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-12-03T07:00:00-00:00</sent>", "", "", "", ""},
	{"year 0", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "0000-12-03T08:00:00+01:00</sent>",
		"sent", "<sent>", "not a valid dateTime", ""},
	{"29 February 2026", "dwd-unwetter.xml", "2026-12-03T08:00:00+01:00</sent>", "2026-02-29T08:00:00+01:00</sent>",
		"sent", "<sent>", "not a valid dateTime", ""},
	{"sent with blanks", "dwd-unwetter.xml", "<sent>2026-12-03T08:00:00+01:00</sent>", "<sent>\n    2026-12-03T08:00:00+01:00\n  </sent>", "", "", "", ""},
	{"CAP 1.1", "dwd-unwetter.xml", "cap:1.2", "cap:1.1", "alert", "<alert", `namespace "urn:oasis:names:tc:emergency:cap:1.1"`, ""},
	{"no namespace", "dwd-unwetter.xml", ` xmlns="urn:oasis:names:tc:emergency:cap:1.2"`, "", "alert", "<alert", `namespace ""`, ""},
	{"unknown element", "dwd-unwetter.xml", "<code>PVW</code>", "<code>PVW</code>\n  <dwdExtra>1</dwdExtra>",
		"dwdExtra", "<dwdExtra>", "not an element of <alert> in CAP 1.2", ""},
	{"foreign element in info", "dwd-unwetter.xml", "<senderName>", `<x:extra xmlns:x="urn:example">1</x:extra><senderName>`,
		"extra", "<x:extra", `element of namespace "urn:example" is not allowed in <info>`, ""},
	{"two headlines", "dwd-unwetter.xml", "</headline>", "</headline><headline>2</headline>",
		"headline", "<headline>2", "out of order or repeated in <info>", ""},
	{"info without event", "dwd-unwetter.xml", "<event>UNWETTER durch ERGIEBIGEN DAUERREGEN</event>", "",
		"event", "<responseType>", "required element missing in <info>, found <responseType>", ""},
	{"info without category", "dwd-unwetter.xml", "<category>Met</category>\n    <event>UNWETTER", "<event>UNWETTER",
		"category", "<event>UNWETTER", "required element missing in <info>, found <event>", ""},
	{"empty area", "dwd-unwetter.xml", "<areaDesc>Kreis Hildesheim</areaDesc>", "",
		"areaDesc", "</area>\n  </info>\n  <info>", "required element missing in <area>", ""},
	{"attribute", "dwd-unwetter.xml", "<severity>", `<severity level="4">`, "severity", "<severity", `attribute "level" is not allowed`, ""},
	{"text between elements", "dwd-unwetter.xml", "<areaDesc>Stadt", "Hannover <areaDesc>Stadt", "area", "<area>", "text is not allowed", ""},
	{"element in a value", "dwd-unwetter.xml", "<event>UNWETTER", "<event><b>!</b>UNWETTER", "b", "<b>", "no element is allowed inside <event>", ""},
	{"bad language", "dwd-unwetter.xml", "<language>de-DE</language>", "<language>de_DE</language>", "language", "<language>", "not a valid language", ""},
	{"altitude in words", "mowas-gefahr.xml", "<altitude>50.5</altitude>", "<altitude>hoch</altitude>", "altitude", "<altitude>", "not a valid decimal", ""},
	{"size with unit", "mowas-gefahr.xml", "<size>12345</size>", "<size>12k</size>", "size", "<size>", "not a valid integer", ""},
	{"resource without mimeType", "mowas-gefahr.xml", "<mimeType>image/png</mimeType>", "", "mimeType", "<size>", "found <size>", ""},
	{"parameter without value", "mowas-gefahr.xml", "<value>Region Hannover, Leitstelle</value>", "", "value", "</parameter>", "required element missing in <parameter>", ""},
	{"enveloped signature", "dwd-unwetter.xml", "</alert>", sig + "</alert>", "", "", "", ""},
	{"signature before info", "dwd-unwetter.xml", "<info>\n    <language>de-DE", sig + "<info>\n    <language>de-DE",
		"info", "<info>\n    <language>de-DE", "out of order or repeated in <alert>",
		"libxml2 2.9.14 lets an info follow the signature wildcard; the XSD sequence puts every info before it"},
	{"no end tag", "dwd-unwetter.xml", "</alert>", "", "", "", "not well-formed XML", ""},
	{"a DTD", "dwd-unwetter.xml", "<alert ", "<!DOCTYPE alert>\n<alert ", "", "<!DOCTYPE", "carries no DTD",
		"the XSD says nothing about a DTD; Kaskade refuses one (no entity tricks)"},
}

func TestValidSamplesPass(t *testing.T) {
	for _, name := range samples {
		if err := capschema.Validate([]byte(read(t, name))); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func (v violation) doc(t testing.TB) string {
	t.Helper()
	orig := read(t, v.file)
	if !strings.Contains(orig, v.old) {
		t.Fatalf("%s lacks %q", v.file, v.old)
	}
	return strings.Replace(orig, v.old, v.new, 1)
}

func TestViolationsNameElementAndLine(t *testing.T) {
	for _, v := range violations {
		t.Run(v.name, func(t *testing.T) {
			doc := v.doc(t)
			err := capschema.Validate([]byte(doc))
			if v.reason == "" {
				if err != nil {
					t.Fatalf("valid alert refused: %v", err)
				}
				return
			}
			var se *capschema.Error
			if !errors.As(err, &se) || !strings.Contains(se.Reason, v.reason) || se.Element != v.element {
				t.Fatalf("error %v, want <%s>: …%s…", err, v.element, v.reason)
			}
			if v.at != "" {
				if want := 1 + strings.Count(doc[:strings.Index(doc, v.at)], "\n"); se.Line != want {
					t.Errorf("line %d, want %d (%s)", se.Line, want, err)
				}
			}
		})
	}
}

// FuzzValidate: any input gives nil or an *Error naming a line, never a panic.
func FuzzValidate(f *testing.F) {
	for _, s := range samples {
		f.Add([]byte(read(f, s)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := capschema.Validate(data)
		var se *capschema.Error
		if err != nil && (!errors.As(err, &se) || se.Line < 0) {
			t.Fatalf("error %v (%T) is not a *capschema.Error with a line", err, err)
		}
	})
}
