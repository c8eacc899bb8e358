package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers"
	"github.com/kaskade-bcm/kaskade/notifiers/console"
)

func TestPersonExportCommand(t *testing.T) {
	rec := &recorder{}
	s := startTest(t, t.TempDir(), rec, nil)
	var out map[string]any
	if code := s.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "organisations": []string{"MI"}, "reason": "Übung", "exercise": true}, &out); code != 201 {
		t.Fatal(code)
	}
	lead := primaries(t, s.Config, "MI")["lead"]
	waitFor(t, "alert", func() bool { return len(rec.to(lead, notifiers.PurposeAlert)) == 1 })

	file := filepath.Join(t.TempDir(), "auskunft.json")
	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"person", "export", lead, "--server", s.URL, "--token", s.token, "-o", file}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("kaskade person export: %d %s", rc, stderr.String())
	}
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("export file: %v, want mode 0600", err)
	}
	data, _ := os.ReadFile(file)
	var exp httpapi.PersonExport
	if err := json.Unmarshal(data, &exp); err != nil || exp.Person != lead || exp.Config == nil || len(exp.Incidents) != 1 {
		t.Fatalf("export %v: %.300s", err, data)
	}
	if rc := run(context.Background(), []string{"person", "export"}, nil, &stdout, &stderr); rc != 2 {
		t.Fatalf("without an id: exit %d, want 2", rc)
	}
}

// TestPersonExportIncludesTheOutbox lets the console channel deliver (no
// fake SMS), with a rotated outbox file from an earlier run, and expects
// the person's lines from both, oldest first, and nobody else's.
func TestPersonExportIncludesTheOutbox(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := config.LoadExample()
	if err != nil {
		t.Fatal(err)
	}
	lead := primaries(t, cfg, "MI")["lead"]
	old := `{"at":"2026-01-01T03:12:00Z","id":"K0-n1","incident":"K0","person":"` + lead + `","channel":"sms","purpose":"alert","exercise":true,"to":"+49151*****234","text":"ÜBUNG alt"}` + "\n" +
		`{"at":"2026-01-01T03:12:00Z","id":"K0-n2","incident":"K0","person":"someone-else","channel":"sms","purpose":"alert","exercise":true,"to":"+49151*****235","text":"ÜBUNG alt"}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "outbox.jsonl.1"), []byte(old), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startTest(t, dir, nil, nil)
	if code := s.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "organisations": []string{"MI"}, "reason": "Übung", "exercise": true}, nil); code != 201 {
		t.Fatal(code)
	}
	waitFor(t, "the alert in the outbox", func() bool {
		data, _ := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))
		return bytes.Contains(data, []byte(`"person":"`+lead+`"`))
	})
	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"person", "export", lead, "--server", s.URL, "--token", s.token}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("kaskade person export: %d %s", rc, stderr.String())
	}
	var exp httpapi.PersonExport
	if err := json.Unmarshal(stdout.Bytes(), &exp); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range exp.Outbox {
		var e console.Entry
		if err := json.Unmarshal(l, &e); err != nil || e.Person != lead {
			t.Fatalf("outbox line %s (%v), want only %s's", l, err, lead)
		}
		ids = append(ids, e.ID)
	}
	if len(ids) < 2 || ids[0] != "K0-n1" || slices.Contains(exp.NotIncluded, "console outbox files in the data directory") {
		t.Fatalf("outbox ids %v (want K0-n1 first, then this run's alert); not included %v", ids, exp.NotIncluded)
	}
}
