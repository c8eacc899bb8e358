package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// TestAuditGoesOnAfterAnInvestigatedBreak: a message not written by the
// engine in the middle of the log (seq 4) is the break verify names, with
// the checkpoint after it; verify from there finds the rest intact, export
// refuses without it and exports an incident wholly after it with it
// (verify-export says so), but never one with events before it.
func TestAuditGoesOnAfterAnInvestigatedBreak(t *testing.T) {
	dir, natsURL, js := auditStore(t)
	var layout engine.Layout // subjects of the default layout
	chain := audit.NewChain("")
	foreign := []byte(`{"v":1,"incident":"K9","kind":"stood_down"}`)
	for i, inc := range []string{"K1", "K1", "K1", "", "K2", "K2", "K2"} {
		data, subject := foreign, layout.EventSubject("K9", activation.KindStoodDown)
		if inc != "" {
			ev := activation.Event{V: 1, Incident: inc, Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
				Update: &activation.SituationUpdate{Text: "Lage", By: "Lagedienst"}}
			var err error
			if data, err = chain.Link(&ev); err != nil {
				t.Fatal(err)
			}
			subject = layout.EventSubject(inc, ev.Kind)
		} else {
			chain.Reset(audit.Hash(foreign)) // as the engine's loadHead does
		}
		if _, err := js.Publish(t.Context(), subject, data); err != nil {
			t.Fatal(err)
		}
	}
	auditCLI := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		if args = append([]string{"audit"}, args...); args[1] != "verify-export" {
			args = append(args, "--nats-url", natsURL, "--data", dir)
		}
		rc := run(context.Background(), args, nil, &stdout, &stderr)
		return rc, stdout.String(), stderr.String()
	}
	rc, out, _ := auditCLI("verify")
	flags := regexp.MustCompile(`kaskade audit verify --from-seq (\d+) --head ([0-9a-f]{64})`).FindStringSubmatch(out)
	if rc != 1 || !strings.Contains(out, "GEBROCHEN bei Ereignis 4") || flags == nil || flags[1] != "4" ||
		!strings.Contains(out, "Chain broken at event 4") {
		t.Fatalf("verify: exit %d, want 1 with the checkpoint after event 4\n%s", rc, out)
	}
	cp := []string{"--from-seq", flags[1], "--head", flags[2]}
	if rc, out, _ := auditCLI(append([]string{"verify"}, cp...)...); rc != 0 || !strings.Contains(out, "Kette intakt: 3 Ereignisse (5–7)") {
		t.Fatalf("verify from the checkpoint: exit %d\n%s", rc, out)
	}

	file := filepath.Join(t.TempDir(), "K2.jsonl")
	if rc, _, errOut := auditCLI("export", "--incident", "K2", "-o", file); rc != 1 || !strings.Contains(errOut, strings.Join(cp, " ")) {
		t.Fatalf("export without the checkpoint: exit %d, want 1 naming it\n%s", rc, errOut)
	}
	if rc, out, errOut := auditCLI(append([]string{"export", "--incident", "K2", "-o", file}, cp...)...); rc != 0 || !strings.Contains(out, "nach Ereignis 4") {
		t.Fatalf("export from the checkpoint: exit %d\n%s%s", rc, out, errOut)
	}
	rc, out, errOut := auditCLI("verify-export", file, "--pubkey", auditPubFile(dir))
	if rc != 0 || !strings.Contains(out, "Export echt: K2, 3 Ereignisse") || !strings.Contains(out, "beginnt erst nach Ereignis 4") ||
		!strings.Contains(out, "not at the log's start") {
		t.Fatalf("verify-export: exit %d\n%s%s", rc, out, errOut)
	}
	k1 := filepath.Join(t.TempDir(), "K1.jsonl")
	if rc, _, errOut := auditCLI(append([]string{"export", "--incident", "K1", "-o", k1}, cp...)...); rc != 1 || !strings.Contains(errOut, "(Ereignis 1, 2, 3)") {
		t.Fatalf("export of an incident before the checkpoint: exit %d, want 1 naming its events\n%s", rc, errOut)
	}
	if _, err := os.Stat(k1); !os.IsNotExist(err) {
		t.Fatalf("a refused export left a file: %v", err)
	}
	if rc, _, _ := auditCLI("export", "--incident", "K2", "--from-seq", "4"); rc != 2 {
		t.Fatalf("--from-seq without --head: exit %d, want 2", rc)
	}
}
