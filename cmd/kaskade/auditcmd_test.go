package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/cmd/internal/natsd"
)

// auditStore starts an embedded NATS in a fresh data directory with
// Kaskade's streams, as the audit commands find them.
func auditStore(t *testing.T) (dir, natsURL string, js jetstream.JetStream) {
	t.Helper()
	dir = t.TempDir()
	srv, err := natsd.Start(natsd.Options{DataDir: dir, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	nc, err := srv.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ = jetstream.New(nc)
	var layout engine.Layout
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	return dir, srv.ClientURL(), js
}

func TestAuditVerifyCommand(t *testing.T) {
	dir, natsURL, js := auditStore(t)
	var layout engine.Layout // subjects of the default layout
	chain := audit.NewChain("")
	for i := range 5 {
		ev := activation.Event{V: 1, Incident: "K1", Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
			Update: &activation.SituationUpdate{Text: "Lage", By: "Lagedienst"}}
		data, err := chain.Link(&ev)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := js.Publish(t.Context(), layout.EventSubject("K1", ev.Kind), data); err != nil {
			t.Fatal(err)
		}
	}
	verify := func(extra ...string) (int, string) {
		var stdout, stderr bytes.Buffer
		rc := run(context.Background(), append([]string{"audit", "verify", "--nats-url", natsURL, "--data", dir}, extra...), nil, &stdout, &stderr)
		return rc, stdout.String() + stderr.String()
	}
	if rc, out := verify(); rc != 0 || !strings.Contains(out, "Kette intakt: 5 Ereignisse") || !strings.Contains(out, chain.Head()) {
		t.Fatalf("intact log: exit %d\n%s", rc, out)
	}
	// A forged event appended by hand (it does not link to the head).
	if _, err := js.Publish(t.Context(), layout.EventSubject("K1", activation.KindStoodDown), []byte(`{"v":1,"incident":"K1","kind":"stood_down"}`)); err != nil {
		t.Fatal(err)
	}
	if rc, out := verify(); rc != 1 || !strings.Contains(out, "GEBROCHEN bei Ereignis 6") {
		t.Fatalf("forged event: exit %d\n%s", rc, out)
	}
	if rc, out := verify("--from-seq", "3"); rc != 2 {
		t.Fatalf("--from-seq without --head: exit %d, want 2\n%s", rc, out)
	}
}

// TestAuditVerifyCommandNamesTheFirstBreak: `kaskade audit verify` on a
// stored log with a changed, a removed or a reordered event exits 1 and
// names the first event whose link does not hold (a changed event shows at
// its successor, whose prev no longer matches).
func TestAuditVerifyCommandNamesTheFirstBreak(t *testing.T) {
	for _, tc := range []struct {
		name   string
		order  []int // which linked events are published, in order (0-based)
		change int   // index of an event whose text is changed after linking; -1 none
		want   string
	}{
		{"changed", []int{0, 1, 2, 3, 4, 5}, 2, "GEBROCHEN bei Ereignis 4: its prev"},
		// The events stream refuses deletes: a removal is a log rebuilt without the event.
		{"removed", []int{0, 1, 3, 4, 5}, -1, "GEBROCHEN bei Ereignis 3: its prev"},
		{"reordered", []int{0, 1, 3, 2, 4, 5}, -1, "GEBROCHEN bei Ereignis 3: its prev"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, natsURL, js := auditStore(t)
			var layout engine.Layout // subjects of the default layout
			chain := audit.NewChain("")
			var linked [][]byte
			for i := range 6 {
				ev := activation.Event{V: 1, Incident: "K1", Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
					Update: &activation.SituationUpdate{Text: "Lage", By: "Lagedienst"}}
				data, err := chain.Link(&ev)
				if err != nil {
					t.Fatal(err)
				}
				if i == tc.change {
					data = bytes.Replace(data, []byte(`"Lage"`), []byte(`"Lüge"`), 1)
				}
				linked = append(linked, data)
			}
			for _, i := range tc.order {
				if _, err := js.Publish(t.Context(), layout.EventSubject("K1", activation.KindUpdate), linked[i]); err != nil {
					t.Fatal(err)
				}
			}
			var stdout, stderr bytes.Buffer
			rc := run(context.Background(), []string{"audit", "verify", "--nats-url", natsURL, "--data", dir}, nil, &stdout, &stderr)
			if out := stdout.String() + stderr.String(); rc != 1 || !strings.Contains(out, tc.want) {
				t.Fatalf("exit %d, want 1 and %q:\n%s", rc, tc.want, out)
			}
		})
	}
}
