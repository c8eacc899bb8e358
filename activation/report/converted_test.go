package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
)

// TestConvertedExerciseIsReal: an exercise converted into a real incident
// was still reported as an exercise (ÜBUNG banner, "Übungsbericht", CSV
// exercise=true) although the core, the board and the API show it real
// from the conversion on; the report now says when, by whom and why it was
// converted, and the exercise history keeps it.
func TestConvertedExerciseIsReal(t *testing.T) {
	h := newHarness(t, "K1", true, planMI())
	h.at(2 * time.Minute)
	h.input(activation.Input{Convert: &activation.Conversion{By: "lagedienst", Reason: "Angriff bestätigt"}})
	h.at(5 * time.Minute)
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	expect(t, "exercise", r.Exercise, false)
	if r.ConvertedAt == nil || !r.ConvertedAt.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("converted_at = %v, want %v", r.ConvertedAt, t0.Add(2*time.Minute))
	}
	expect(t, "converted by", r.ConvertedBy, "lagedienst")
	expect(t, "conversion reason", r.ConversionReason, "Angriff bestätigt")
	for _, tc := range []struct{ lang, title, converted string }{
		{"de", "Einsatzbericht", "Übung in Echtalarm umgewandelt"},
		{"en", "After-action report:", "Exercise converted into a real incident"},
	} {
		var b bytes.Buffer
		if err := r.WriteHTML(&b, tc.lang); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if strings.Contains(page, `class="banner"`) || !strings.Contains(page, tc.title) ||
			!strings.Contains(page, tc.converted) || !strings.Contains(page, "Angriff bestätigt") {
			t.Errorf("%s page: want the real title %q, the conversion %q with its reason and no ÜBUNG banner", tc.lang, tc.title, tc.converted)
		}
	}
	var csv bytes.Buffer
	if err := r.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if rows := strings.Split(csv.String(), "\n"); len(rows) < 2 || !strings.HasPrefix(rows[1], "K1,false,") {
		t.Errorf("CSV row %q: want exercise false", rows[1])
	}
	hist := History([]*Report{r}, nil, t0.Add(time.Hour))
	expect(t, "converted exercise in the history", len(hist.Exercises), 1)
}

// TestConversionAlertNamedInTimeline: the real alert a conversion sends was
// listed in the per-person timeline by its code "convert", untranslated.
func TestConversionAlertNamedInTimeline(t *testing.T) {
	h := newHarness(t, "K1", true, planMI())
	h.at(time.Minute)
	h.input(activation.Input{Convert: &activation.Conversion{By: "lagedienst", Reason: "Angriff bestätigt"}})
	r, err := Build(h.events, testOpts())
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"de": "Echtalarm nach Umwandlung", "en": "real alert after conversion"} {
		var b bytes.Buffer
		if err := r.WriteHTML(&b, lang); err != nil {
			t.Fatal(err)
		}
		if page := b.String(); !strings.Contains(page, want) || strings.Contains(page, " convert: ") {
			t.Errorf("%s timeline: want the conversion alert named %q, not its code", lang, want)
		}
	}
}
