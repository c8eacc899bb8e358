package gsm7

import (
	"strings"
	"testing"
)

func TestTransliterate(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "Hallo Welt 123", "Hallo Welt 123"},
		{"umlauts kept", "Übung: Störung für Bürgerbüro, Maß", "Übung: Störung für Bürgerbüro, Maß"},
		{"gsm accents kept", "é è à ù ì ò É Ñ ñ Å Ø Æ", "é è à ù ì ò É Ñ ñ Å Ø Æ"},
		{"german quotes", "„Stab“ ‚MI‘", `"Stab" 'MI'`},
		{"english quotes", "“a” ‘b’", `"a" 'b'`},
		{"dashes", "MI – MF — MK", "MI - MF - MK"},
		{"ellipsis", "bitte…", "bitte..."},
		{"nbsp", "30\u00a0min\u202fab", "30 min ab"},
		{"euro kept", "5 €", "5 €"},
		{"extension kept", "[a]{b}~|^\\", "[a]{b}~|^\\"},
		{"diacritics stripped", "Čapek á ê ő ç ł", "Capek a e o c l"},
		{"tab", "a\tb", "a b"},
		{"newline kept", "a\nb\r\n", "a\nb\r\n"},
		{"emoji", "Alarm 🚨", "Alarm ?"},
		{"cjk", "火", "?"},
		{"zero width", "a\u200bb\ufeff", "ab"},
		{"backtick", "`x`", "'x'"},
		{"greek kept", "ΔΦΓΛΩΠΨΣΘΞ", "ΔΦΓΛΩΠΨΣΘΞ"},
		{"greek lowercase", "α", "?"},
		{"capital sharp s", "ẞ", "SS"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Transliterate(tt.in)
			if got != tt.want {
				t.Errorf("Transliterate(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !IsGSM7(got) {
				t.Errorf("Transliterate(%q) = %q is not GSM-7", tt.in, got)
			}
		})
	}
}

func TestSegments(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		encoding string
		segments int
		units    int
	}{
		{"empty", "", EncodingGSM7, 0, 0},
		{"one", "1", EncodingGSM7, 1, 1},
		{"160 septets", strings.Repeat("a", 160), EncodingGSM7, 1, 160},
		{"161 septets", strings.Repeat("a", 161), EncodingGSM7, 2, 161},
		{"306 septets", strings.Repeat("a", 306), EncodingGSM7, 2, 306},
		{"307 septets", strings.Repeat("a", 307), EncodingGSM7, 3, 307},
		{"umlauts are one septet", strings.Repeat("ä", 160), EncodingGSM7, 1, 160},
		{"euro counts two", strings.Repeat("€", 80), EncodingGSM7, 1, 160},
		{"euro over single", strings.Repeat("€", 81), EncodingGSM7, 2, 162},
		{"escape not split", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 10), EncodingGSM7, 2, 164},
		{"escape split forces third", strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), EncodingGSM7, 3, 306},
		{"ucs2 70", strings.Repeat("α", 70), EncodingUCS2, 1, 70},
		{"ucs2 71", strings.Repeat("α", 71), EncodingUCS2, 2, 71},
		{"ucs2 134", strings.Repeat("α", 134), EncodingUCS2, 2, 134},
		{"ucs2 135", strings.Repeat("α", 135), EncodingUCS2, 3, 135},
		{"emoji surrogate pair", "🚨", EncodingUCS2, 1, 2},
		{"35 emoji", strings.Repeat("🚨", 35), EncodingUCS2, 1, 70},
		{"surrogate not split", strings.Repeat("α", 66) + "🚨" + strings.Repeat("b", 10), EncodingUCS2, 2, 78},
		{"surrogate split forces third", strings.Repeat("α", 66) + "🚨" + strings.Repeat("b", 66), EncodingUCS2, 3, 134},
		{"one ucs2 rune makes all ucs2", "Übung α", EncodingUCS2, 1, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, seg, units := Segments(tt.in)
			if enc != tt.encoding || seg != tt.segments || units != tt.units {
				t.Errorf("Segments(%.20q…) = (%s, %d, %d), want (%s, %d, %d)",
					tt.in, enc, seg, units, tt.encoding, tt.segments, tt.units)
			}
		})
	}
}

func TestTransliterateMakesGermanAlertGSM7(t *testing.T) {
	in := "ÜBUNG – Notfall „Cyberangriff“: Stab MI bitte melden… Antwort: 1 = komme, 2 30 = komme in 30 min, 3 = nicht verfügbar"
	enc, seg, _ := Segments(Transliterate(in))
	if enc != EncodingGSM7 || seg != 1 {
		t.Fatalf("got %s in %d parts, want GSM-7 in 1", enc, seg)
	}
}

func FuzzTransliterate(f *testing.F) {
	for _, s := range []string{"„Stab“ – …", "🚨 α €", "\xff\xfe", "ç"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Transliterate(s)
		if !IsGSM7(out) {
			t.Fatalf("Transliterate(%q) = %q is not GSM-7", s, out)
		}
		if enc, _, _ := Segments(out); enc != EncodingGSM7 {
			t.Fatalf("Segments(%q) encoding %s", out, enc)
		}
	})
}
