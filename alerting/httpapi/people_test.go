package httpapi_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

func TestPersonExport(t *testing.T) {
	s := startAPI(t)
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	if r := s.do("POST", "/api/v1/incidents/"+id+"/responses", dutyToken, `{"person":"mi-uwe-boehm","kind":"delayed","minutes":20}`); r.Status != 200 {
		t.Fatalf("respond: %d %s", r.Status, r.Body)
	}
	const path = "/api/v1/people/mi-uwe-boehm/export"
	for _, tc := range []struct {
		name, path, token string
		status            int
		code              string
	}{
		{"viewer", path, viewerToken, http.StatusForbidden, "forbidden"},
		{"duty officer", path, dutyToken, http.StatusForbidden, "forbidden"},
		{"nobody", path, "", http.StatusUnauthorized, "unauthorized"},
		{"unknown person", "/api/v1/people/xx-niemand/export", adminToken, http.StatusNotFound, "unknown_person"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantError(t, s.do("GET", tc.path, tc.token, ""), tc.status, tc.code) })
	}

	var exp httpapi.PersonExport
	mustJSON(t, s.do("GET", path, adminToken, ""), &exp)
	if exp.Config == nil || exp.Config.Name != "Uwe Böhm" || exp.Config.Mobile == "" {
		t.Fatalf("config entry %+v, want Uwe Böhm with his number", exp.Config)
	}
	if len(exp.Incidents) != 1 || exp.Incidents[0].Incident != id || len(exp.Incidents[0].Roles) == 0 || !exp.Incidents[0].Exercise {
		t.Fatalf("incidents %+v, want %s with his role", exp.Incidents, id)
	}
	kinds := map[string]int{}
	for _, ev := range exp.Incidents[0].Events {
		kinds[ev.Kind]++
		switch {
		case ev.Notification != nil && ev.Notification.Person != "mi-uwe-boehm",
			ev.Response != nil && ev.Response.Person != "mi-uwe-boehm",
			ev.Tier != nil && ev.Tier.Person != "mi-uwe-boehm",
			ev.Activation != nil, ev.Readiness != nil:
			t.Fatalf("the export holds an event about others: %+v", ev)
		}
	}
	for _, k := range []string{activation.KindTierAlerted, activation.KindNotification, activation.KindResponse} {
		if kinds[k] == 0 {
			t.Errorf("no %s event in the export; kinds %v", k, kinds)
		}
	}
}

func TestPersonExportReadsTheOutbox(t *testing.T) {
	lines := map[string][]json.RawMessage{
		"mi-uwe-boehm": {json.RawMessage(`{"id":"K1-n1","person":"mi-uwe-boehm","text":"ÜBUNG"}`)},
		"xx-entfernt":  {json.RawMessage(`{"id":"K1-n2","person":"xx-entfernt","text":"ÜBUNG"}`)}, // no longer configured
	}
	var fail atomic.Bool
	s := startAPIWith(t, func(o *httpapi.Options) {
		o.Outbox = func(person string) ([]json.RawMessage, error) {
			if fail.Load() {
				return nil, errors.New("disk gone")
			}
			return lines[person], nil
		}
	})
	for _, id := range []string{"mi-uwe-boehm", "xx-entfernt"} {
		var exp httpapi.PersonExport
		mustJSON(t, s.do("GET", "/api/v1/people/"+id+"/export", adminToken, ""), &exp)
		var line struct{ ID, Person string }
		if len(exp.Outbox) == 1 {
			_ = json.Unmarshal(exp.Outbox[0], &line)
		}
		if line.Person != id || slices.ContainsFunc(exp.NotIncluded, isOutbox) {
			t.Fatalf("%s: outbox %s, not included %v", id, exp.Outbox, exp.NotIncluded)
		}
	}
	fail.Store(true)
	wantError(t, s.do("GET", "/api/v1/people/mi-uwe-boehm/export", adminToken, ""), http.StatusInternalServerError, "internal")

	var exp httpapi.PersonExport
	mustJSON(t, startAPI(t).do("GET", "/api/v1/people/mi-uwe-boehm/export", adminToken, ""), &exp)
	if exp.Outbox != nil || !slices.ContainsFunc(exp.NotIncluded, isOutbox) {
		t.Fatalf("without an outbox reader: outbox %s, not included %v", exp.Outbox, exp.NotIncluded)
	}
}

func isOutbox(s string) bool { return strings.Contains(s, "outbox") }
