package compose

import (
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

// TestRenderCacheKeysOnWhatTheTemplateReads: a rendered text is reused for
// data that differs only in fields the template never reads; a template
// naming the person, or reading the data whole, renders each person's text.
func TestRenderCacheKeysOnWhatTheTemplateReads(t *testing.T) {
	cases := []struct {
		name, src string
		shared    bool // one text for Anna and Bernd
		anna      string
	}{
		{"fields without the person", "{{.Title}} {{.OrgName}}", true, "Brand Kreis"},
		{"person named", "{{.Title}} für {{.Person}}", false, "Brand für Anna"},
		{"person via $", "{{with .Title}}{{$.Person}}{{end}}", false, "Anna"},
		{"dot passed whole", `{{printf "%v" .}}`, false, ""},
		{"root variable", "{{$x := $}}{{$x.Title}}", false, "Brand"},
		{"dot inside with", "{{with .Title}}{{.}}{{end}}", false, "Brand"},
		{"condition", "{{if .Exercise}}Übung {{end}}{{.Title}}", true, "Brand"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := composer(t)
			anna := config.TemplateData{Title: "Brand", OrgName: "Kreis", Person: "Anna"}
			bernd := anna
			bernd.Person = "Bernd"
			a, err := c.render("k", tc.src, anna)
			if err != nil || tc.anna != "" && a != tc.anna {
				t.Fatalf("Anna: %q %v, want %q", a, err, tc.anna)
			}
			b, err := c.render("k", tc.src, bernd)
			if err != nil {
				t.Fatal(err)
			}
			// What the template renders without any cache is the truth.
			fresh, _ := composer(t)
			want, _ := fresh.render("k", tc.src, bernd)
			if b != want {
				t.Fatalf("Bernd got %q, uncached %q", b, want)
			}
			if got := len(c.texts) == 1; got != tc.shared {
				t.Fatalf("one text for both: %v, want %v (%d texts)", got, tc.shared, len(c.texts))
			}
		})
	}
}

// TestRenderCacheIsBounded: texts per person start over at maxTexts, and a
// new source under the same name renders the new text.
func TestRenderCacheIsBounded(t *testing.T) {
	c, _ := composer(t)
	const src = "{{.Title}} für {{.Person}}"
	for i := range maxTexts + 10 {
		want := "T für " + string(rune('A'+i%26)) + string(rune(i))
		got, err := c.render("k", src, config.TemplateData{Title: "T", Person: want[len("T für "):]})
		if err != nil || got != want {
			t.Fatalf("render %d: %q %v", i, got, err)
		}
	}
	if n := len(c.texts); n > maxTexts {
		t.Fatalf("%d texts kept, at most %d", n, maxTexts)
	}
	if got, err := c.render("k", "{{.Title}}!", config.TemplateData{Title: "T", Person: "x"}); err != nil || got != "T!" {
		t.Fatalf("same name, new source: %q %v", got, err)
	}
}
