package console

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

func TestNotifyAppendsMaskedOutboxLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.jsonl")
	n, err := New(Options{OutboxPath: path})
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"K1-n1", "K1-n2"} {
		r, err := n.Notify(context.Background(), notifiers.Message{ID: id, Incident: "K1", Channel: "sms",
			To: "+4915100001234", Text: "ÜBUNG Cyberangriff", Exercise: true})
		if err != nil || r.State != notifiers.StateDelivered {
			t.Fatalf("send %d: %+v %v", i, r, err)
		}
	}
	n.Close()
	f, _ := os.Open(path)
	defer f.Close()
	var lines []Entry
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, e)
	}
	if len(lines) != 2 || lines[1].ID != "K1-n2" || !lines[0].Exercise || lines[0].Text != "ÜBUNG Cyberangriff" {
		t.Fatalf("outbox = %+v", lines)
	}
	if strings.Contains(lines[0].To, "00001234") || lines[0].To != "+49151*****234" {
		t.Fatalf("number not masked: %q", lines[0].To)
	}
}

// TestNoAddressFails (issue 16.4): a message without an address is a
// permanent failure, never "delivered", so the next channel or deputy
// takes over at once.
func TestNoAddressFails(t *testing.T) {
	n, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := n.Notify(context.Background(), notifiers.Message{ID: "K1-n1", Channel: "sms", Text: "Alarm"})
	if err != nil || r.State != notifiers.StateFailed || r.Code != notifiers.CodeNoAddress {
		t.Fatalf("send to an empty number: %+v %v, want failed %s", r, err, notifiers.CodeNoAddress)
	}
}
