package compose

import (
	"testing"

	"github.com/kaskade-bcm/kaskade/config"
)

// TestRenderCacheKeysOnData: a rendered text is reused only for the same
// template and the same data; a template naming the person renders each
// person's text, also once the cache is full and starts over.
func TestRenderCacheKeysOnData(t *testing.T) {
	c, _ := composer(t)
	const src = "{{.Title}} für {{.Person}}"
	cases := []struct {
		title, person, want string
	}{
		{"Brand", "Anna", "Brand für Anna"},
		{"Brand", "Bernd", "Brand für Bernd"},
		{"Brand", "Anna", "Brand für Anna"},
		{"Flut", "Anna", "Flut für Anna"},
	}
	for _, tc := range cases {
		got, err := c.render("k", src, config.TemplateData{Title: tc.title, Person: tc.person})
		if err != nil || got != tc.want {
			t.Fatalf("%s/%s: %q %v, want %q", tc.title, tc.person, got, err, tc.want)
		}
	}
	if got, err := c.render("k", "{{.Title}}!", config.TemplateData{Title: "Brand", Person: "Anna"}); err != nil || got != "Brand!" {
		t.Fatalf("same name, new source: %q %v", got, err)
	}
	for i := range maxTexts + 10 {
		want := string(rune('A'+i%26)) + " für x"
		got, err := c.render("k", src, config.TemplateData{Title: want[:1], Person: "x", Severity: string(rune(i))})
		if err != nil || got != want {
			t.Fatalf("render %d: %q %v", i, got, err)
		}
	}
	if n := len(c.texts); n > maxTexts {
		t.Fatalf("%d texts kept, at most %d", n, maxTexts)
	}
}
