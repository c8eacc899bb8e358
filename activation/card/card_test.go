package card_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/card"
	"github.com/kaskade-bcm/kaskade/config"
)

// exampleWithCard is the bundled example with a card section for StK and
// a person name that needs escaping.
func exampleWithCard(t *testing.T) *config.Config {
	t.Helper()
	name, data := config.Example()
	y := string(data)
	for old, repl := range map[string]string{
		"    call_tree: stk\n": "    call_tree: stk\n    card:\n      fallback_phones:\n" +
			"        - {label: {de: Lagezentrum, en: Situation centre}, number: \"+49 511 120-0\"}\n" +
			"        - {label: {de: \"Pforte <Nord> & Süd\", en: \"Gate <north> & south\"}, number: \"+49 511 120-6000\"}\n" +
			"      notes: {de: \"Sammelpunkt <script>alert(1)</script> Raum 1.12\", en: \"Meet in room 1.12\"}\n",
		"    name: Anna Meyer\n": "    name: \"Anna <b>Meyer</b> & Co\"\n",
	} {
		if !strings.Contains(y, old) {
			t.Fatalf("example no longer contains %q", old)
		}
		y = strings.Replace(y, old, repl, 1)
	}
	cfg, probs, err := config.LoadBytes(name, []byte(y), nil)
	if err != nil || probs.Err() != nil {
		t.Fatalf("example with card: %v %v", err, probs)
	}
	return cfg
}

func TestBuildListsTheCallTreeInOrder(t *testing.T) {
	cfg := exampleWithCard(t)
	c, err := card.Build(cfg, "StK", "de")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		step, function, person string
		deputies               []string
		depth                  int
	}{
		{"1", "Stabsleitung", "Anna <b>Meyer</b> & Co", []string{"Stefan Voß"}, 0},
		{"1.1", "IT", "", nil, 1},
		{"1.2", "", "", nil, 1},
	}
	if len(c.Entries) != cfg.CallTrees[0].Len() || len(c.Entries) < 7 {
		t.Fatalf("%d entries, want every node of the tree (%d)", len(c.Entries), cfg.CallTrees[0].Len())
	}
	for i, w := range want {
		e := c.Entries[i]
		if e.Step != w.step || e.Depth != w.depth || w.function != "" && e.Function != w.function || w.person != "" && e.Person != w.person {
			t.Errorf("entry %d = %+v, want step %s depth %d %q %q", i, e, w.step, w.depth, w.function, w.person)
		}
		if w.deputies != nil && strings.Join(e.Deputies, ",") != strings.Join(w.deputies, ",") {
			t.Errorf("entry %d deputies %v, want %v", i, e.Deputies, w.deputies)
		}
	}
	if c.Entries[0].Wait.Minutes() != 5 {
		t.Errorf("lead's deputy wait %v, want the node's 5m", c.Entries[0].Wait)
	}
	last := c.Entries[len(c.Entries)-1]
	if last.Step != "1.5.1" || last.Depth != 2 {
		t.Errorf("last entry %+v, want the back office at 1.5.1", last)
	}
	if len(c.FallbackPhones) != 2 || c.FallbackPhones[0].Number != "+49 511 120-0" {
		t.Errorf("fallback phones %+v", c.FallbackPhones)
	}
}

func TestRenderEscapesAndSpeaksBothLanguages(t *testing.T) {
	cfg := exampleWithCard(t)
	tests := []struct {
		lang, size string
		want       []string
	}{
		{"de", card.A6, []string{`lang="de"`, "Notfallkarte", "Niedersächsische Staatskanzlei", "So antworten Sie",
			"Vertretung: Stefan Voß (Vertretung nach 5 Min.", "Lagezentrum", "49 511 120-0",
			"Pforte &lt;Nord&gt; &amp; Süd", "Anna &lt;b&gt;Meyer&lt;/b&gt; &amp; Co", "&lt;script&gt;",
			"Telefonkonferenz: keine konfiguriert", "size:A6"}},
		{"en", card.A4, []string{`lang="en"`, "Emergency card", "Lower Saxony State Chancellery", "How to answer",
			"Deputies: Stefan Voß (deputies after 5 min", "Situation centre", "Gate &lt;north&gt; &amp; south",
			"Head of crisis staff", "Conference dial-in: none configured", "size:A4", "Meet in room 1.12"}},
	}
	for _, tc := range tests {
		t.Run(tc.lang, func(t *testing.T) {
			c, err := card.Build(cfg, "StK", tc.lang)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := card.Render(&b, c, tc.size); err != nil {
				t.Fatal(err)
			}
			html := b.String()
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("card lacks %q", w)
				}
			}
			for _, bad := range []string{"<script>", "<b>Meyer", "49 151 0000", "ZgotmplZ"} {
				if strings.Contains(html, bad) {
					t.Errorf("card contains %q", bad)
				}
			}
			// The order on the page is the order of the cascade.
			lead, it, backoffice := strings.Index(html, "Anna &lt;b&gt;"), strings.Index(html, ">1.1<"), strings.Index(html, ">1.5.1<")
			if !(lead >= 0 && lead < it && it < backoffice) {
				t.Errorf("call tree out of order: lead %d, 1.1 %d, 1.5.1 %d", lead, it, backoffice)
			}
		})
	}
}

func TestBuildUnknownOrganisation(t *testing.T) {
	if _, err := card.Build(exampleWithCard(t), "NOPE", "de"); err == nil {
		t.Fatal("no error for an unknown organisation")
	}
}
