package capschema_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/proposal/capschema"
)

// TestAgreesWithXmllint validates the samples and every violation with
// libxml2 (`xmllint --schema`, Debian package libxml2-utils) against the
// same schema file: both must say valid or invalid alike (but for the
// cases marked libxml2Differs), and so must they for every line of the
// samples dropped, doubled or swapped with the next.
func TestAgreesWithXmllint(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint not installed (apt-get install libxml2-utils): the cross-check with libxml2 is skipped")
	}
	dir := t.TempDir()
	xsd := filepath.Join(dir, "cap-1.2.xsd")
	if err := os.WriteFile(xsd, capschema.XSD, 0o600); err != nil {
		t.Fatal(err)
	}
	type doc struct{ name, text string }
	var docs []doc
	for _, s := range samples {
		docs = append(docs, doc{s, read(t, s)})
	}
	for _, v := range violations {
		if v.libxml2Differs == "" {
			docs = append(docs, doc{v.name, v.doc(t)})
		}
	}
	for _, s := range samples {
		for i, m := range mutations(read(t, s)) {
			docs = append(docs, doc{fmt.Sprintf("%s mutation %d", s, i), m})
		}
	}
	invalid := 0
	for i, d := range docs {
		file := filepath.Join(dir, "doc.xml")
		if err := os.WriteFile(file, []byte(d.text), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, file).CombinedOutput()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatalf("run xmllint: %v", err)
		}
		ours := capschema.Validate([]byte(d.text))
		if (err == nil) != (ours == nil) {
			t.Errorf("%d %s: xmllint says %q (%v), Kaskade says %v\n%s", i, d.name, out, err, ours, d.text)
		}
		if ours != nil {
			invalid++
		}
	}
	if invalid < len(docs)/4 {
		t.Errorf("only %d of %d documents invalid: the mutations test little", invalid, len(docs))
	}
}

// mutations changes a sample line by line: each line dropped, doubled,
// and swapped with the next. Most results break the schema, some do not.
func mutations(doc string) []string {
	lines := strings.Split(doc, "\n")
	var out []string
	join := func(ls []string) string { return strings.Join(ls, "\n") }
	for i := 2; i < len(lines)-2; i++ { // keep the declaration and <alert>…</alert>
		out = append(out,
			join(slices.Concat(lines[:i], lines[i+1:])),
			join(slices.Concat(lines[:i+1], lines[i:])),
			join(slices.Concat(lines[:i], []string{lines[i+1], lines[i]}, lines[i+2:])))
	}
	return out
}
