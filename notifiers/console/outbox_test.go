package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

func TestTheOutboxHoldsNoUsableAckLinks(t *testing.T) {
	const token = "eyJuIjoiSzEtbjEifQ.c2lnbmF0dXJlLWJ5dGVz"
	for _, tc := range []struct {
		name, text, want string
		max              int
	}{
		{"sms link", "ÜBUNG Cyberangriff. Antwort: http://k.example/ack/" + token + "?answer=1", "ÜBUNG Cyberangriff. Antwort: http://k.example/ack/…?answer=1", 0},
		{"three email links", strings.Repeat("https://k.example/ack/"+token+"?answer=2\n", 3), strings.Repeat("https://k.example/ack/…?answer=2\n", 3), 0},
		{"long email cut", strings.Repeat("ä", 600), strings.Repeat("ä", 480) + " …", 0},
		{"own cap", "Lagemeldung 1234", "Lagemeldung  …", 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "outbox.jsonl")
			n, err := New(Options{OutboxPath: path, MaxText: tc.max})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := n.Notify(context.Background(), notifiers.Message{ID: "K1-n1", Channel: "email", To: "a@b.example",
				Subject: "Alarm /ack/" + token, Text: tc.text}); err != nil {
				t.Fatal(err)
			}
			n.Close()
			data, _ := os.ReadFile(path)
			if strings.Contains(string(data), token) {
				t.Fatalf("outbox holds the ack token: %s", data)
			}
			if e := readOutbox(t, path); len(e) != 1 || e[0].Text != tc.want || e[0].Subject != "Alarm /ack/…" {
				t.Fatalf("outbox %+v, want text %q", e, tc.want)
			}
		})
	}
}

func TestTheOutboxRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	n, err := New(Options{OutboxPath: path, MaxBytes: 600, Keep: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if _, err := n.Notify(context.Background(), notifiers.Message{ID: fmt.Sprintf("K1-n%d", i), Channel: "sms", To: "+4915100001234", Text: "ÜBUNG"}); err != nil {
			t.Fatal(err)
		}
	}
	n.Close()
	if _, err := os.Stat(path + ".3"); !os.IsNotExist(err) {
		t.Fatalf("a third old file exists: %v", err)
	}
	var ids []int
	for _, p := range []string{path + ".2", path + ".1", path} {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() > 600 || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v, want at most 600 bytes, mode 0600", p, err)
		}
		for _, e := range readOutbox(t, p) {
			var id int
			fmt.Sscanf(e.ID, "K1-n%d", &id)
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 || len(ids) >= 20 || ids[len(ids)-1] != 19 {
		t.Fatalf("kept %v, want the newest lines only", ids)
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			t.Fatalf("lines missing or out of order: %v", ids)
		}
	}
}

func readOutbox(t *testing.T, path string) []Entry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}
