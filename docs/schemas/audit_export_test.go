package schemas_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/audit"
	"github.com/kaskade-bcm/kaskade/activation/engine"
)

// checkAuditExport exports the incident from the real log, as kaskade
// audit export does, and validates every line.
func checkAuditExport(t *testing.T, ctx context.Context, js jetstream.JetStream, layout engine.Layout, incident string) {
	t.Helper()
	s := compile(t, "audit-export.schema.json")
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	stream, err := js.Stream(ctx, layout.EventsStream())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	through := stream.CachedInfo().State.LastSeq
	x, err := audit.NewExporter(&buf, audit.ExportHeader{Incident: incident, Stream: layout.EventsStream(), Through: through, ExportedAt: time.Now().UTC()}, key)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := audit.ReadStream(ctx, js, layout.EventsStream(), 1, func(seq uint64, raw []byte) bool {
		if err := x.Add(seq, raw); err != nil {
			t.Fatal(err)
		}
		return seq < through
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Close(); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	t.Logf("validating an audit export of %d lines", len(lines))
	for i, l := range lines {
		if err := valid(s, l); err != nil {
			t.Errorf("export line %d: %v\n%s", i+1, err, l)
		}
	}
	if _, err := audit.VerifyExport(&buf, key.Public().(ed25519.PublicKey)); err != nil {
		t.Error(err)
	}
}

func TestAuditExportSchemaRejectsMalformedLines(t *testing.T) {
	s := compile(t, "audit-export.schema.json")
	h := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ name, json string }{
		{"unknown type", `{"type":"comment"}`},
		{"header with a checkpoint without its head", `{"type":"header","format":"kaskade-audit-export","v":1,"incident":"K1","stream":"S","through":9,"exported_at":"2026-12-03T10:00:00Z","key_id":"0123456789abcdef","from_seq":4}`},
		{"header with a short checkpoint head", `{"type":"header","format":"kaskade-audit-export","v":1,"incident":"K1","stream":"S","through":9,"exported_at":"2026-12-03T10:00:00Z","key_id":"0123456789abcdef","from_seq":4,"from_head":"0123abcd"}`},
		{"header of version 2", `{"type":"header","format":"kaskade-audit-export","v":2,"incident":"K1","stream":"S","through":3,"exported_at":"2026-12-03T10:00:00Z","key_id":"0123456789abcdef"}`},
		{"event without its bytes", `{"type":"event","seq":3,"at":"2026-12-03T10:00:00Z","kind":"declared","prev":"` + h + `","hash":"` + h + `"}`},
		{"upper-case hash", `{"type":"gap","from":1,"to":2,"prev":"","hash":"` + string(bytes.ToUpper([]byte(h))) + `"}`},
		{"signature with an extra field", `{"type":"signature","alg":"Ed25519","key_id":"0123456789abcdef","lines":3,"events":1,"head":"` + h + `","sha256":"` + h + `","sig":"AA==","by":"x"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := valid(s, []byte(tc.json)); err == nil {
				t.Fatalf("accepted: %s", tc.json)
			}
		})
	}
}

// TestAuditExportSchemaAcceptsAnExportFromACheckpoint: an export whose
// chain starts after a foreign message (seq 2), as the exporter writes it,
// is valid line by line and records the checkpoint in its header.
func TestAuditExportSchemaAcceptsAnExportFromACheckpoint(t *testing.T) {
	s := compile(t, "audit-export.schema.json")
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	foreign := []byte(`{"hello":"world"}`)
	chain := audit.NewChain("")
	var log [][]byte
	for i, inc := range []string{"K1", "", "K2", "K2"} {
		if inc == "" {
			log = append(log, foreign)
			chain.Reset(audit.Hash(foreign))
			continue
		}
		ev := activation.Event{V: 1, Incident: inc, Kind: activation.KindUpdate, At: time.Unix(int64(i), 0).UTC(),
			Update: &activation.SituationUpdate{Text: "Lage", By: "Lagedienst"}}
		data, err := chain.Link(&ev)
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, data)
	}
	var buf bytes.Buffer
	x, err := audit.NewExporter(&buf, audit.ExportHeader{Incident: "K2", Stream: "S", Through: 4, ExportedAt: time.Now().UTC(),
		FromSeq: 2, FromHead: audit.Hash(foreign)}, key)
	if err != nil {
		t.Fatal(err)
	}
	for i, raw := range log {
		if err := x.Add(uint64(i+1), raw); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := x.Close(); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != 4 || !bytes.Contains(lines[0], []byte(`"from_seq":2,"from_head":"`)) {
		t.Fatalf("want header, two events and the signature, the header with the checkpoint:\n%s", buf.Bytes())
	}
	for i, l := range lines {
		if err := valid(s, l); err != nil {
			t.Errorf("export line %d: %v\n%s", i+1, err, l)
		}
	}
}
