package board

import (
	"maps"
	"slices"
	"testing"
)

func TestLoginTextsInBothLanguages(t *testing.T) {
	de, en := slices.Sorted(maps.Keys(loginText["de"])), slices.Sorted(maps.Keys(loginText["en"]))
	if !slices.Equal(de, en) {
		t.Fatalf("login texts differ in their keys: de %v, en %v", de, en)
	}
	for lang, texts := range loginText {
		for key, text := range texts {
			if text == "" || lang == "en" && text == loginText["de"][key] {
				t.Errorf("%s text %q is empty or untranslated: %q", lang, key, text)
			}
		}
	}
}
