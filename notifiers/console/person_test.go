package console

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

func TestPersonLinesReadTheRotatedOutbox(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	n, err := New(Options{OutboxPath: path, MaxBytes: 700, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for i := range 30 {
		person := []string{"mi-anna", "mi-bert", "mi-annabell"}[i%3]
		if _, err := n.Notify(context.Background(), notifiers.Message{ID: fmt.Sprintf("K1-n%02d", i), Person: person, Channel: "sms",
			To: "+4915100001234", Text: "ÜBUNG für " + person}); err != nil {
			t.Fatal(err)
		}
	}
	// A line cut by a crash is skipped, not a reason to fail the request.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"at":"2026-12-03T03:12:00Z","id":"K1-n99","person":"mi-an`)
	f.Close()

	got, err := n.PersonLines("mi-anna")
	if err != nil {
		t.Fatal(err)
	}
	var onDisk int // lines naming her in the files that rotation kept
	for _, name := range []string{path, path + ".1", path + ".2", path + ".3"} {
		data, _ := os.ReadFile(name)
		onDisk += strings.Count(string(data), `"person":"mi-anna"`)
	}
	if len(got) != onDisk || len(got) < 3 {
		t.Fatalf("%d lines, %d on disk (rotation keeps path, .1 and .2)", len(got), onDisk)
	}
	last := ""
	for _, l := range got {
		var e Entry
		if err := json.Unmarshal(l, &e); err != nil || e.Person != "mi-anna" || e.ID <= last {
			t.Fatalf("line %s (%v): want only mi-anna's, oldest first", l, err)
		}
		last = e.ID
	}
	if last != "K1-n27" {
		t.Fatalf("the newest line is %s, want K1-n27", last)
	}
	if got, err := PersonLines(filepath.Join(t.TempDir(), "none.jsonl"), 5, "mi-anna"); err != nil || len(got) != 0 {
		t.Fatalf("no outbox: %v %v", got, err)
	}
}
