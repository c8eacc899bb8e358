package reply

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		kind    Kind
		minutes int
		code    string
		reason  string
	}{
		// available
		{"1", Available, 0, "", ""},
		{" 1 ", Available, 0, "", ""},
		{"1.", Available, 0, "", ""},
		{"1!", Available, 0, "", ""},
		{`"1"`, Available, 0, "", ""},
		{"„1“", Available, 0, "", ""},
		{"'1'", Available, 0, "", ""},
		{"ja", Available, 0, "", ""},
		{"Ja!", Available, 0, "", ""},
		{"JA", Available, 0, "", ""},
		{"komme", Available, 0, "", ""},
		{"Ich komme.", Available, 0, "", ""},
		{"yes", Available, 0, "", ""},
		{"1 komme", Available, 0, "", ""},
		{"1 K7", Available, 0, "K7", ""},
		{"1 k7", Available, 0, "K7", ""},
		{"K7 1", Available, 0, "K7", ""},
		{"1, K7", Available, 0, "K7", ""},
		{"ja k123", Available, 0, "K123", ""},
		// delayed
		{"2 30", Delayed, 30, "", ""},
		{"2 45", Delayed, 45, "", ""},
		{"2   45", Delayed, 45, "", ""},
		{"2 30 min", Delayed, 30, "", ""},
		{"2 30min", Delayed, 30, "", ""},
		{"2 30 Minuten", Delayed, 30, "", ""},
		{"2 in 30 min", Delayed, 30, "", ""},
		{"2 1 h", Delayed, 60, "", ""},
		{"2 2std", Delayed, 120, "", ""},
		{"komme in 30 min", Delayed, 30, "", ""},
		{"Komme in 30 Min.", Delayed, 30, "", ""},
		{"komme 20", Delayed, 20, "", ""},
		{"später 45", Delayed, 45, "", ""},
		{"SPÄTER 45", Delayed, 45, "", ""},
		{"spaeter 45", Delayed, 45, "", ""},
		{"komme später in 15 min", Delayed, 15, "", ""},
		{"2 30 K12", Delayed, 30, "K12", ""},
		{"K12 2 30", Delayed, 30, "K12", ""},
		{"„2 30“", Delayed, 30, "", ""},
		{"2 1440", Delayed, 1440, "", ""},
		{"2 1", Delayed, 1, "", ""},
		// delayed without or with bad minutes
		{"2", Unknown, 0, "", ReasonMissingETA},
		{"2 K7", Unknown, 0, "", ReasonMissingETA},
		{"später", Unknown, 0, "", ReasonMissingETA},
		{"2 0", Unknown, 0, "", ReasonETARange},
		{"2 1441", Unknown, 0, "", ReasonETARange},
		{"2 25 h", Unknown, 0, "", ReasonETARange},
		{"2 99999999999999999999", Unknown, 0, "", ReasonETARange},
		// unavailable
		{"3", Unavailable, 0, "", ""},
		{"nein", Unavailable, 0, "", ""},
		{"Nein.", Unavailable, 0, "", ""},
		{"no", Unavailable, 0, "", ""},
		{"nicht verfügbar", Unavailable, 0, "", ""},
		{"Nicht verfuegbar!", Unavailable, 0, "", ""},
		{"ich bin nicht verfügbar", Unavailable, 0, "", ""},
		{"komme nicht", Unavailable, 0, "", ""},
		{"3 K7", Unavailable, 0, "K7", ""},
		{"3 nein", Unavailable, 0, "", ""},
		// keywords
		{"STOP", Stop, 0, "", ""},
		{"stopp", Stop, 0, "", ""},
		{"Unsubscribe", Stop, 0, "", ""},
		{"cancel", Stop, 0, "", ""},
		{"END", Stop, 0, "", ""},
		{"quit", Stop, 0, "", ""},
		{"START", Start, 0, "", ""},
		{"unstop", Start, 0, "", ""},
		{"HELP", Help, 0, "", ""},
		{"Hilfe?", Help, 0, "", ""},
		{"info", Help, 0, "", ""},
		// first line only
		{"1\nnein", Available, 0, "", ""},
		{"\n\n3\r\n1", Unavailable, 0, "", ""},
		// unknown
		{"", Unknown, 0, "", ReasonEmpty},
		{"   ", Unknown, 0, "", ReasonEmpty},
		{"?!", Unknown, 0, "", ReasonEmpty},
		{"K7", Unknown, 0, "", ReasonNotUnderstood},
		{"1 K7 K8", Unknown, 0, "", ReasonTwoCodes},
		{"1 2", Unknown, 0, "", ReasonNotUnderstood},
		{"1 nein", Unknown, 0, "", ReasonNotUnderstood},
		{"12", Unknown, 0, "", ReasonNotUnderstood},
		{"4", Unknown, 0, "", ReasonNotUnderstood},
		{"vielleicht", Unknown, 0, "", ReasonNotUnderstood},
		{"Wer ist da?", Unknown, 0, "", ReasonNotUnderstood},
		{"stop 1", Unknown, 0, "", ReasonNotUnderstood},
		{"STOP K7", Unknown, 0, "", ReasonNotUnderstood},
		{"2 dreißig", Unknown, 0, "", ReasonNotUnderstood},
		{"2 30 Stau", Unknown, 0, "", ReasonNotUnderstood},
		{"🚨", Unknown, 0, "", ReasonEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in)
			want := Reply{Kind: tt.kind, Minutes: tt.minutes, Code: tt.code, Raw: tt.in, Reason: tt.reason}
			if got != want {
				t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, want)
			}
			if !got.Valid() {
				t.Errorf("Parse(%q) = %+v is not Valid", tt.in, got)
			}
		})
	}
}

func TestReplyValid(t *testing.T) {
	tests := []struct {
		r    Reply
		want bool
	}{
		{Reply{Kind: Available}, true},
		{Reply{Kind: Delayed, Minutes: 30, Code: "K7"}, true},
		{Reply{Kind: Unknown, Reason: "x"}, true},
		{Reply{}, false},
		{Reply{Kind: "maybe"}, false},
		{Reply{Kind: Delayed}, false},
		{Reply{Kind: Delayed, Minutes: 1441}, false},
		{Reply{Kind: Available, Minutes: 5}, false},
		{Reply{Kind: Available, Code: "k7"}, false},
		{Reply{Kind: Available, Code: "K"}, false},
		{Reply{Kind: Stop, Code: "K7"}, false},
		{Reply{Kind: Available, Reason: "x"}, false},
	}
	for _, tt := range tests {
		if got := tt.r.Valid(); got != tt.want {
			t.Errorf("%+v.Valid() = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func TestFirstLine(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"plain", "1\n", "1"},
		{"leading blank lines", "\n\n  2 30  \n", "2 30"},
		{"crlf", "\r\n3\r\nDanke", "3"},
		{"quoted first", "> Alarm\n>\n1", "1"},
		{"german gmail", "Am Mo., 3. März 2025 um 03:12 Uhr schrieb Kaskade <alarm@example.de>:\n> Antwort 1", ""},
		{"answer above german header", "2 30\n\nAm 03.03.2025 um 03:12 schrieb Kaskade <alarm@example.de>:\n> Alarm", "2 30"},
		{"wrapped german header", "Am Mo., 3. März 2025 um 03:12 Uhr schrieb Kaskade\n<alarm@example.de>:\n> x", ""},
		{"english header", "On Mon, Mar 3, 2025 at 3:12 AM Kaskade <a@b.de> wrote:\n> x", ""},
		{"wrapped english header", "On Mon, Mar 3, 2025 at 3:12 AM Kaskade <\na@b.de> wrote:\n> x", ""},
		{"outlook", "-----Ursprüngliche Nachricht-----\nVon: Kaskade", ""},
		{"outlook answer", "ja\n-----Original Message-----\nFrom: x", "ja"},
		{"signature only", "-- \nMax Mustermann", ""},
		{"empty", "", ""},
		{"am in answer", "Am Bahnhof, komme in 20 min", "Am Bahnhof, komme in 20 min"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FirstLine(tt.body); got != tt.want {
				t.Errorf("FirstLine(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}

func TestEmailAnswer(t *testing.T) {
	body := "Komme in 30 Min.\n\nAm 03.03.2025 um 03:12 schrieb Kaskade <alarm@example.de>:\n> ÜBUNG: bitte antworten\n> 1 = komme"
	got := Parse(FirstLine(body))
	if got.Kind != Delayed || got.Minutes != 30 {
		t.Fatalf("got %v, want delayed 30", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "2 30", "2 30min K7", "nicht verfügbar", "STOP", "„3“", "2 99999999999999999999", "K7 K8 1", "\xff2 1h", strings.Repeat("2 ", 50)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Parse(s)
		if !r.Kind.Valid() {
			t.Fatalf("Parse(%q).Kind = %q", s, r.Kind)
		}
		if r.Minutes < 0 || r.Minutes > MaxMinutes {
			t.Fatalf("Parse(%q).Minutes = %d", s, r.Minutes)
		}
		if !r.Valid() {
			t.Fatalf("Parse(%q) = %+v is not Valid", s, r)
		}
		if r.Raw != s {
			t.Fatalf("Parse(%q).Raw = %q", s, r.Raw)
		}
		_ = FirstLine(s)
	})
}
