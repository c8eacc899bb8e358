package proposal_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/proposal"
	"github.com/kaskade-bcm/kaskade/alerting/proposal/capschema"
)

// FuzzParseCAP feeds the CAP parser changed alerts: it never panics, a
// refusal is ErrInvalid, and what it accepts is schema-valid and carries
// an id and a kind.
func FuzzParseCAP(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><alert>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := proposal.ParseCAP(data)
		if err != nil {
			if !errors.Is(err, proposal.ErrInvalid) {
				t.Fatalf("refusal %v is not ErrInvalid", err)
			}
			return
		}
		if verr := capschema.Validate(data); verr != nil {
			t.Fatalf("accepted an alert the schema refuses: %v", verr)
		}
		if w.SourceID == "" || w.Kind == "" || w.Sent.IsZero() {
			t.Fatalf("accepted warning lacks id, kind or time: %+v", w)
		}
	})
}
