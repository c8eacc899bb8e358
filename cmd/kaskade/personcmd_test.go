package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/notifiers"
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
