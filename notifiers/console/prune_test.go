package console

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// TestPruneRemovesLinesFromEveryOutboxFile: an erased person's lines go
// from the outbox and its rotated files; others stay; writing goes on.
func TestPruneRemovesLinesFromEveryOutboxFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	now := time.Date(2026, 12, 3, 3, 12, 0, 0, time.UTC)
	n, err := New(Options{OutboxPath: path, MaxBytes: 400, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for i := range 6 {
		for _, p := range []string{"mi-uwe-boehm", "mi-eva-kranz"} {
			if _, err := n.Notify(context.Background(), notifiers.Message{ID: "n", Person: p, Channel: "sms", To: "+4915112345678", Text: "Hallo " + p + strings.Repeat(".", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := countIn(t, path, "mi-eva-kranz")
	removed, err := n.Prune(func(e Entry) bool { return e.Person == "mi-uwe-boehm" })
	if err != nil || removed == 0 {
		t.Fatalf("removed %d, err %v", removed, err)
	}
	if _, err := n.Notify(context.Background(), notifiers.Message{ID: "n", Person: "mi-eva-kranz", Channel: "sms", To: "+4915112345678", Text: "danach"}); err != nil {
		t.Fatal(err)
	}
	if countIn(t, path, "mi-uwe-boehm") != 0 || countIn(t, path, "mi-eva-kranz") != before+1 || countIn(t, path, "danach") != 1 {
		t.Fatal("outbox after the prune holds the wrong lines")
	}
}

// countIn counts s in the outbox and its rotated files (at least two).
func countIn(t *testing.T, path, s string) int {
	t.Helper()
	files, _ := filepath.Glob(path + "*")
	if len(files) < 2 {
		t.Fatalf("outbox did not rotate: %v", files)
	}
	n := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(data), s)
	}
	return n
}

// TestPruneFilesLeftByAnEarlierRun: with the console channel off, an
// erasure still removes the person's lines from the files left behind.
func TestPruneFilesLeftByAnEarlierRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	n, err := New(Options{OutboxPath: path, MaxBytes: 400})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		for _, p := range []string{"mi-uwe-boehm", "mi-eva-kranz"} {
			if _, err := n.Notify(context.Background(), notifiers.Message{ID: "n", Person: p, Channel: "sms", To: "+4915112345678", Text: "Hallo " + p + strings.Repeat(".", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	others := countIn(t, path, "mi-eva-kranz")
	removed, err := PruneFiles(path, DefaultKeep, func(e Entry) bool { return e.Person == "mi-uwe-boehm" })
	if err != nil || removed == 0 {
		t.Fatalf("removed %d, err %v", removed, err)
	}
	if countIn(t, path, "mi-uwe-boehm") != 0 || countIn(t, path, "mi-eva-kranz") != others {
		t.Fatal("files after the prune hold the wrong lines")
	}
}
