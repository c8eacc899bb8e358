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
		remark  []string // at most one
	}{
		// available
		{"1", Available, 0, "", "", nil},
		{" 1 ", Available, 0, "", "", nil},
		{"1.", Available, 0, "", "", nil},
		{"1!", Available, 0, "", "", nil},
		{`"1"`, Available, 0, "", "", nil},
		{"„1“", Available, 0, "", "", nil},
		{"'1'", Available, 0, "", "", nil},
		{"ja", Available, 0, "", "", nil},
		{"Ja!", Available, 0, "", "", nil},
		{"JA", Available, 0, "", "", nil},
		{"komme", Available, 0, "", "", nil},
		{"Ich komme.", Available, 0, "", "", nil},
		{"yes", Available, 0, "", "", nil},
		{"1 komme", Available, 0, "", "", []string{"komme"}},
		{"1 K7", Available, 0, "K7", "", nil},
		{"1 k7", Available, 0, "K7", "", nil},
		{"K7 1", Available, 0, "K7", "", nil},
		{"1, K7", Available, 0, "K7", "", nil},
		{"ja k123", Available, 0, "K123", "", nil},
		// delayed
		{"2 30", Delayed, 30, "", "", nil},
		{"2 45", Delayed, 45, "", "", nil},
		{"2   45", Delayed, 45, "", "", nil},
		{"2 30 min", Delayed, 30, "", "", nil},
		{"2 30min", Delayed, 30, "", "", nil},
		{"2 30 Minuten", Delayed, 30, "", "", nil},
		{"2 in 30 min", Delayed, 30, "", "", nil},
		{"2 1 h", Delayed, 60, "", "", nil},
		{"2 2std", Delayed, 120, "", "", nil},
		{"komme in 30 min", Delayed, 30, "", "", nil},
		{"Komme in 30 Min.", Delayed, 30, "", "", nil},
		{"komme 20", Delayed, 20, "", "", nil},
		{"später 45", Delayed, 45, "", "", nil},
		{"SPÄTER 45", Delayed, 45, "", "", nil},
		{"spaeter 45", Delayed, 45, "", "", nil},
		{"komme später in 15 min", Delayed, 15, "", "", nil},
		{"2 30 K12", Delayed, 30, "K12", "", nil},
		{"K12 2 30", Delayed, 30, "K12", "", nil},
		{"„2 30“", Delayed, 30, "", "", nil},
		{"2 1440", Delayed, 1440, "", "", nil},
		{"2 1", Delayed, 1, "", "", nil},
		// delayed without or with bad minutes
		{"2", Delayed, 0, "", "", nil},
		{"2 K7", Delayed, 0, "K7", "", nil},
		{"später", Delayed, 0, "", "", nil},
		{"2 0", Unknown, 0, "", ReasonETARange, nil},
		{"2 1441", Unknown, 0, "", ReasonETARange, nil},
		{"2 25 h", Unknown, 0, "", ReasonETARange, nil},
		{"2 99999999999999999999", Unknown, 0, "", ReasonETARange, nil},
		// unavailable
		{"3", Unavailable, 0, "", "", nil},
		{"nein", Unavailable, 0, "", "", nil},
		{"Nein.", Unavailable, 0, "", "", nil},
		{"no", Unavailable, 0, "", "", nil},
		{"nicht verfügbar", Unavailable, 0, "", "", nil},
		{"Nicht verfuegbar!", Unavailable, 0, "", "", nil},
		{"ich bin nicht verfügbar", Unavailable, 0, "", "", nil},
		{"komme nicht", Unavailable, 0, "", "", nil},
		{"3 K7", Unavailable, 0, "K7", "", nil},
		{"3 nein", Unavailable, 0, "", "", []string{"nein"}},
		// keywords
		{"STOP", Stop, 0, "", "", nil},
		{"stopp", Stop, 0, "", "", nil},
		{"Unsubscribe", Stop, 0, "", "", nil},
		{"cancel", Stop, 0, "", "", nil},
		{"END", Stop, 0, "", "", nil},
		{"quit", Stop, 0, "", "", nil},
		{"START", Start, 0, "", "", nil},
		{"unstop", Start, 0, "", "", nil},
		{"HELP", Help, 0, "", "", nil},
		{"Hilfe?", Help, 0, "", "", nil},
		{"info", Help, 0, "", "", nil},
		// first line only
		{"1\nnein", Available, 0, "", "", nil},
		{"\n\n3\r\n1", Unavailable, 0, "", "", nil},
		// unknown
		{"", Unknown, 0, "", ReasonEmpty, nil},
		{"   ", Unknown, 0, "", ReasonEmpty, nil},
		{"?!", Unknown, 0, "", ReasonEmpty, nil},
		{"K7", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"1 K7 K8", Unknown, 0, "", ReasonTwoCodes, nil},
		{"1 2", Unknown, 0, "", ReasonContradiction, nil},
		{"1 nein", Unknown, 0, "", ReasonContradiction, nil},
		{"12", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"4", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"vielleicht", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"Wer ist da?", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"stop 1", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"STOP K7", Unknown, 0, "", ReasonNotUnderstood, nil},
		{"2 dreißig", Delayed, 30, "", "", nil},
		{"2 30 Stau", Delayed, 30, "", "", []string{"Stau"}},
		{"🚨", Unknown, 0, "", ReasonEmpty, nil},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := Parse(tt.in)
			want := Reply{Kind: tt.kind, Minutes: tt.minutes, Code: tt.code, Raw: tt.in, Reason: tt.reason,
				NoETA: tt.kind == Delayed && tt.minutes == 0}
			if len(tt.remark) > 0 {
				want.Remark = tt.remark[0]
			}
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

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "2 30", "2 30min K7", "nicht verfügbar", "STOP", "„3“", "2 99999999999999999999", "K7 K8 1", "\xff2 1h", strings.Repeat("2 ", 50)} {
		f.Add(s)
	}
	for _, s := range corpusReplies(f) {
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
	})
}
