package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// fakeAPI answers the client commands' requests with canned views and
// checks the token.
func fakeAPI(t *testing.T, routes map[string]any) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		v, ok := routes[r.Method+" "+r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"error":{"code":"not_found","message":"unknown"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(v)
	}))
	t.Cleanup(s.Close)
	return s
}

// `kaskade status K1 MI` lists the people of one organisation's call tree.
func TestStatusOfAnOrganisationListsItsPeople(t *testing.T) {
	at := time.Date(2026, 12, 3, 2, 14, 0, 0, time.UTC)
	eta := at.Add(30 * time.Minute)
	api := fakeAPI(t, map[string]any{"GET /api/v1/incidents/K1/organisations/MI": activation.OrgDetail{
		Readiness: activation.OrgReadiness{Incident: "K1", Org: "MI", State: activation.Forming, Required: map[string]int{"lead": 1, "it": 1},
			Covered: map[string]int{"lead": 1}, Missing: []string{"it"}},
		Nodes: []activation.NodeView{
			{Index: 0, Parent: -1, Function: "lead", State: "acknowledged", Tiers: []activation.PersonView{
				{Person: "mi-uwe-boehm", Name: "Uwe Böhm", Alerted: true, AlertedAt: &at, Notification: "delivered", Answer: activation.Available, AnsweredAt: &at}}},
			{Index: 1, Parent: 0, Depth: 1, Function: "it", State: "alerting", Tiers: []activation.PersonView{
				{Person: "mi-sven-eilers", Name: "Sven Eilers", Alerted: true, AlertedAt: &at, Notification: "failed", FailedChans: []string{"sms"}, Answer: activation.Unavailable},
				{Person: "mi-frauke-warnecke", Name: "Frauke Warnecke", Deputy: true, Alerted: true, Notification: "sent", Answer: activation.Delayed, ETA: &eta},
				{Person: "mi-merle-krueger", Name: "Merle Krüger", Deputy: true}}},
		},
	}})
	var out bytes.Buffer
	if err := statusCmd(t.Context(), []string{"--server", api.URL, "--token", "tok", "K1", "MI"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"MI", "Stab bildet sich", "Uwe Böhm", "kommt", "Sven Eilers", "nicht verfügbar", "sms",
		"Frauke Warnecke", "Vertretung", "kommt später", "03:44", "Merle Krüger", "nicht alarmiert"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status K1 MI lacks %q:\n%s", want, out.String())
		}
	}
}

// `declare --config FILE` shows the segments of the actual alert SMS: the
// declared title with the organisation's own name.
func TestDeclareShowsTheSegmentsOfTheActualText(t *testing.T) {
	path := writeConfig(t, countyConfig)
	title := "Deichbruch an der Leine, Evakuierung der Altstadt von Hann. Münden"
	api := fakeAPI(t, map[string]any{"POST /api/v1/incidents": map[string]any{"incident_id": "K12", "incident": activation.IncidentView{
		ID: "K12", ReplyCode: "K12", Scenario: "hochwasser", Title: title, Severity: "crisis", Exercise: true,
		Organisations: []activation.OrgReadiness{{Org: "LK"}}}}})
	var out bytes.Buffer
	err := declareCmd(t.Context(), []string{"--server", api.URL, "--token", "tok", "--config", path,
		"--scenario", "hochwasser", "--reason", "Pegel", "--title", title, "--exercise"}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "K12") || !strings.Contains(out.String(), "Alarm-SMS (de): 2 Segment(e)") ||
		!strings.Contains(out.String(), "Budget von 1") {
		t.Fatalf("no segment count of the actual text:\n%s", out.String())
	}
}

// The README's command-line section names every flag of the client
// commands and the forms of status.
func TestStatusAndDeclareFlagsAreInTheREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	start := strings.Index(readme, "\n## Command line")
	end := strings.Index(readme[start+1:], "\n## ")
	section := readme[start : start+1+end]
	for _, want := range []string{"kaskade status [INCIDENT [ORG]]", "kaskade status K1 MI", "--server URL", "--token TOKEN",
		"the token itself", "--data DIR", "--config FILE"} {
		if !strings.Contains(section, want) {
			t.Errorf("README's command-line section lacks %q", want)
		}
	}
	fs := flag.NewFlagSet("declare", flag.ContinueOnError)
	clientFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.Contains(section, "--"+f.Name) {
			t.Errorf("client flag --%s is not in the README", f.Name)
		}
	})
}

// Without a token and without admin.token, the CLI says where it looked and
// why the file may be missing, also when --data names another directory.
func TestClientWithoutTokenSaysWhereItLooked(t *testing.T) {
	t.Setenv("KASKADE_TOKEN", "")
	dir := t.TempDir()
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	mk := clientFlags(fs)
	if err := fs.Parse([]string{"--data", dir}); err != nil {
		t.Fatal(err)
	}
	_, err := mk()
	if err == nil {
		t.Fatal("a client without any token was made")
	}
	for _, want := range []string{"--token", "KASKADE_TOKEN", filepath.Join(dir, "admin.token"), "no tokens"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}
