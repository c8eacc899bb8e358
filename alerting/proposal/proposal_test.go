package proposal_test

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/alerting/proposal"
)

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rules are what an operator might configure for Lower Saxony.
var rules = []proposal.Rule{
	{Scenario: "cyberangriff", Source: proposal.SourceAlertmanager, Labels: map[string]string{"category": "cyber"}},
	{Scenario: "hochwasser", Organisations: []string{"MU", "MI"}, Events: []string{"DAUERREGEN", "HOCHWASSER"},
		MinSeverity: "Severe", Areas: []string{"Hannover", "Hildesheim"}},
}

func TestDWDWarningBecomesAFloodProposal(t *testing.T) {
	w, err := proposal.ParseCAP(read(t, "dwd-unwetter.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if w.Source != proposal.SourceCAP || w.Kind != proposal.KindNew || w.Exercise ||
		w.SourceID != "CAP@dwd.de,2.49.0.0.276.0.DWD.PVW.1764748800000.3f6a1c9e-7b2d-4c1e-9a0f-5d2e8b7c6a41" {
		t.Fatalf("warning %+v", w)
	}
	if w.Event != "UNWETTER durch ERGIEBIGEN DAUERREGEN" || w.Severity != "Severe" || w.Urgency != "Immediate" ||
		strings.Join(w.Areas, "|") != "Stadt Hannover|Kreis Hildesheim" {
		t.Errorf("the German info block was not used: %+v", w)
	}
	if !w.Sent.Equal(time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("sent %v", w.Sent)
	}
	s, ok := proposal.Suggest(rules, w)
	if !ok || s.Scenario != "hochwasser" || s.Rule != 1 || strings.Join(s.Organisations, ",") != "MU,MI" {
		t.Errorf("suggestion %+v %v, want hochwasser from rule 1", s, ok)
	}
}

func TestCAPCancelReferencesTheWarning(t *testing.T) {
	orig, err := proposal.ParseCAP(read(t, "dwd-unwetter.xml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := proposal.ParseCAP(read(t, "dwd-cancel.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != proposal.KindCancel || len(c.References) != 1 || c.References[0] != orig.SourceID {
		t.Fatalf("cancel %+v does not withdraw %s", c, orig.SourceID)
	}
}

func TestCAPValidation(t *testing.T) {
	good := string(read(t, "dwd-unwetter.xml"))
	tests := []struct {
		name, old, new, want string
	}{
		{"no identifier", "<identifier>2.49.0.0.276.0.DWD.PVW.1764748800000.3f6a1c9e-7b2d-4c1e-9a0f-5d2e8b7c6a41</identifier>", "", "<identifier>: required element missing in <alert>, found <sender>"},
		{"no sender", "<sender>CAP@dwd.de</sender>", "", "<sender>: required element missing"},
		{"empty sender", "<sender>CAP@dwd.de</sender>", "<sender> </sender>", "<sender> is empty"},
		{"sent in Z", "2026-12-03T08:00:00+01:00</sent>", "2026-12-03T07:00:00Z</sent>", "line 5: <sent>: \"2026-12-03T07:00:00Z\" does not match the CAP form"},
		{"bad status", "<status>Actual</status>", "<status>Real</status>", "<status>: \"Real\" is not one of"},
		{"test message", "<status>Actual</status>", "<status>Test</status>", "status Test"},
		{"restricted without restriction", "<scope>Public</scope>", "<scope>Restricted</scope>", "needs <restriction>"},
		{"bad severity", "<severity>Severe</severity>\n    <certainty>Likely</certainty>\n    <eventCode>", "<severity>Bad</severity>\n    <certainty>Likely</certainty>\n    <eventCode>", "<severity>: \"Bad\" is not one of"},
		{"no category", "<category>Met</category>\n    <event>UNWETTER", "<event>UNWETTER", "<category>: required element missing in <info>"},
		{"empty area", "<areaDesc>Kreis Hildesheim</areaDesc>", "<areaDesc> </areaDesc>", "<areaDesc> is empty"},
		{"cancel without references", "<msgType>Alert</msgType>", "<msgType>Cancel</msgType>", "without references"},
		{"CAP 1.1", "cap:1.2", "cap:1.1", "namespace"},
		{"not XML", "<alert ", "<<alert ", "not well-formed XML"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("sample lacks %q", tc.old)
			}
			_, err := proposal.ParseCAP([]byte(strings.Replace(good, tc.old, tc.new, 1)))
			if !errors.Is(err, proposal.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrInvalid saying %q", err, tc.want)
			}
		})
	}
}

func TestCAPExerciseIsMarked(t *testing.T) {
	w, err := proposal.ParseCAP([]byte(strings.Replace(string(read(t, "dwd-unwetter.xml")), "<status>Actual</status>", "<status>Exercise</status>", 1)))
	if err != nil || !w.Exercise {
		t.Fatalf("exercise CAP: %+v %v", w, err)
	}
}

func TestAlertmanagerWebhookProposesCyberattack(t *testing.T) {
	ws, err := proposal.ParseAlertmanager(read(t, "alertmanager.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 {
		t.Fatalf("%d warnings, want one per alert", len(ws))
	}
	firing, resolved := ws[0], ws[1]
	if firing.Kind != proposal.KindNew || firing.SourceID != "a1b2c3d4e5f60708" || firing.Headline != "Fachverfahren nicht erreichbar" ||
		firing.Severity != "Severe" || firing.Description == "" {
		t.Errorf("firing %+v", firing)
	}
	if s, ok := proposal.Suggest(rules, firing); !ok || s.Scenario != "cyberangriff" {
		t.Errorf("suggestion %+v %v, want cyberangriff", s, ok)
	}
	if resolved.Kind != proposal.KindResolved || resolved.References[0] != "0807f6e5d4c3b2a1" || resolved.Sent.IsZero() {
		t.Errorf("resolved %+v", resolved)
	}
	for _, bad := range []string{`{`, `{"version":"3","alerts":[{}]}`, `{"version":"4","alerts":[]}`,
		`{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"x"}}]}`,
		`{"version":"4","alerts":[{"status":"pending","labels":{"alertname":"x"},"fingerprint":"f"}]}`} {
		if _, err := proposal.ParseAlertmanager([]byte(bad)); !errors.Is(err, proposal.ErrInvalid) {
			t.Errorf("%s: error %v, want ErrInvalid", bad, err)
		}
	}
}

func TestSuggestNeedsEveryField(t *testing.T) {
	w := proposal.Warning{Source: proposal.SourceCAP, Event: "HOCHWASSER", Severity: "Moderate", Areas: []string{"Stadt Hannover"}}
	if s, ok := proposal.Suggest(rules, w); ok {
		t.Errorf("moderate warning matched %+v; the rule wants at least Severe", s)
	}
	w.Severity, w.Areas = "Extreme", []string{"Landkreis Cuxhaven"}
	if s, ok := proposal.Suggest(rules, w); ok {
		t.Errorf("warning outside the areas matched %+v", s)
	}
}
