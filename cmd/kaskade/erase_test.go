package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
	"github.com/kaskade-bcm/kaskade/config"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio/twiliotest"
)

// TestPersonEraseLeavesNoPlaintextInTheDataDirectory runs the server with
// the store cipher off (so a byte search of the data directory means
// something), lets a person answer by SMS with a remark, erases them with
// "kaskade person erase" and searches every file of the data directory for
// their id, name, number and reply text. The board, the API and the report
// still render, with the person as "gelöscht".
func TestPersonEraseLeavesNoPlaintextInTheDataDirectory(t *testing.T) {
	var dataDir string
	e := startSMS(t, twiliotest.Options{}, func(o *server.Options) {
		o.NATSServer.StoreCipher = natsd.CipherNone
		dataDir = o.DataDir
	})
	var out map[string]any
	if code := e.api("POST", "/api/v1/incidents", map[string]any{"scenario": "cyberangriff", "reason": "Test", "exercise": true}, &out); code != 201 {
		t.Fatalf("declare: %d", code)
	}
	waitFor(t, "SMS to the lead", func() bool { return len(e.messagesTo("+4915100001001")) == 1 })
	if code, body := e.reply("+4915100001001", "1 komme mit dem Fahrrad"); code != 200 {
		t.Fatalf("reply: %d %s", code, body)
	}
	inputsApplied(t, e.Server)
	waitFor(t, "answer", func() bool { return e.personState("lead1").Remark == "komme mit dem Fahrrad" })
	// "1 komme mit dem Fahrrad" is the reply text; "Uwe Böhm" the name in the confirmation.
	secrets := []string{"lead1", "Uwe Böhm", "4915100001001", "151 00001001", "komme mit dem Fahrrad"}
	// Before the erasure the person is in the keys bucket (their key record)
	// and in the replay bucket (the confirmation names them): the search can fail.
	for _, s := range []string{"lead1", "Uwe Böhm"} {
		waitFor(t, s+" in the data directory before the erasure", func() bool { return len(filesWith(t, dataDir, s)) > 0 })
	}
	// Minimisation: even before the erasure no file holds a number in full
	// (events carry person ids, inbound senders are masked).
	for _, number := range []string{"4915100001001", "4915100001002"} {
		if files := filesWith(t, dataDir, number); len(files) > 0 {
			t.Fatalf("%s stored in full in %v", number, files)
		}
	}

	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"person", "erase", "lead1", "--server", e.URL, "--token", e.token}, nil, &stdout, &stderr); rc != 2 {
		t.Fatalf("erase without a reason: exit %d, want 2", rc)
	}
	if code := e.api("POST", "/api/v1/people/lead1/erase", map[string]any{"reason": " "}, nil); code != 400 {
		t.Fatalf("erase with an empty reason: %d, want 400", code)
	}
	// A mistyped id erases nothing (and drops no snapshot).
	if code := e.api("POST", "/api/v1/people/laed1/erase", map[string]any{"reason": "Antrag 17/2026"}, nil); code != 404 {
		t.Fatalf("erase of an unknown id: %d, want 404", code)
	}
	if rc := run(context.Background(), []string{"person", "erase", "lead1", "--reason", "Antrag 17/2026", "--server", e.URL, "--token", e.token}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("kaskade person erase: %d %s", rc, stderr.String())
	}
	if !strings.Contains(stdout.String(), "gelöscht: lead1") {
		t.Fatalf("output: %s", stdout.String())
	}
	waitFor(t, "engine leading after the erasure", func() bool { return e.Engine.Ready() && e.Engine.Leader() })
	for _, s := range secrets {
		waitFor(t, "no "+s+" in the data directory", func() bool {
			files := filesWith(t, dataDir, s)
			if len(files) > 0 {
				t.Logf("%q in %v", s, files)
			}
			return len(files) == 0
		})
	}
	// The views and the report still render, the figures unchanged.
	d, _ := e.Engine.Detail("K1", "MI")
	erased := false
	for _, n := range d.Nodes {
		for _, p := range n.Tiers {
			erased = erased || engine.IsErased(p.Person) && p.Answer == "available" && p.Remark == engine.ErasedText
		}
	}
	if !erased {
		t.Fatalf("the erased person's answer is not shown as erased: %+v", d.Nodes)
	}
	if rep := e.get(t, "/api/v1/incidents/K1/report"); !strings.Contains(rep, engine.ErasedPrefix) ||
		!strings.Contains(rep, "komme – „"+engine.ErasedText) || strings.Contains(rep, "Uwe Böhm") {
		t.Fatalf("report after the erasure:\n%s", rep)
	}
	if page := e.get(t, "/"); !strings.Contains(page, "<html") {
		t.Fatal("board does not render")
	}
	// Another person's answer is recorded (and sealed) as before.
	if code, _ := e.reply("+4915100001002", "1"); code != 200 {
		t.Fatal(code)
	}
}

// filesWith lists the files under dir holding s.
func filesWith(t *testing.T, dir, s string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil // a purge removes files while we walk
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, []byte(s)) {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// TestPersonEraseRemovesTheOutboxLines: with the console channel
// delivering, "kaskade person erase" removes the person's lines from the
// current outbox and from a rotated file an earlier run left; another
// person's lines stay.
func TestPersonEraseRemovesTheOutboxLines(t *testing.T) {
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
	mark := []byte(`"person":"` + lead + `"`)
	waitFor(t, "the alert in the outbox", func() bool {
		data, _ := os.ReadFile(filepath.Join(dir, "outbox.jsonl"))
		return bytes.Contains(data, mark)
	})
	var stdout, stderr bytes.Buffer
	if rc := run(context.Background(), []string{"person", "erase", lead, "--reason", "Antrag 18/2026", "--server", s.URL, "--token", s.token}, nil, &stdout, &stderr); rc != 0 {
		t.Fatalf("kaskade person erase: %d %s", rc, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "outbox.jsonl*"))
	var all []byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, mark) {
			t.Errorf("%s still holds %s's lines:\n%s", f, lead, data)
		}
		all = append(all, data...)
	}
	if !bytes.Contains(all, []byte(`"id":"K0-n2"`)) {
		t.Fatalf("another person's line went too: %v", files)
	}
}
