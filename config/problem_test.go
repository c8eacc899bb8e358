package config

import (
	"errors"
	"testing"
	"time"
)

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "niedersachsen.yaml", Line: 42, Path: "people[3].mobile", Message: `"0511 123" is a landline, not a mobile number`},
			`niedersachsen.yaml:42: people[3].mobile: "0511 123" is a landline, not a mobile number`},
		{Problem{File: "f.yaml", Line: 7, Path: "people[0].email", Severity: Warning, Message: "x"},
			"warning: f.yaml:7: people[0].email: x"},
		{Problem{File: "f.yaml", Line: 3, Message: "invalid YAML: y"}, "f.yaml:3: invalid YAML: y"},
		{Problem{File: "f.yaml", Path: "version", Message: "z"}, "f.yaml: version: z"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("got  %s\nwant %s", got, tt.want)
		}
	}
}

func TestProblemsErr(t *testing.T) {
	ps := Problems{{Severity: Warning, Message: "w"}}
	if ps.Err() != nil {
		t.Error("warnings only must give nil Err")
	}
	ps = append(ps, Problem{File: "f", Line: 1, Message: "e"})
	var inv *InvalidError
	if err := ps.Err(); !errors.As(err, &inv) || len(inv.Problems) != 1 {
		t.Errorf("Err = %v", err)
	}
	if len(ps.Errors()) != 1 || len(ps.Warnings()) != 1 {
		t.Error("Errors/Warnings split")
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30m", 30 * time.Minute, true},
		{"90s", 90 * time.Second, true},
		{"1h30m", 90 * time.Minute, true},
		{"0s", 0, true},
		{"-1m", 0, false},
		{"30", 0, false},
		{"1d", 0, false},
	}
	for _, tt := range tests {
		d, err := ParseDuration(tt.in)
		if (err == nil) != tt.ok || d.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, %v", tt.in, d, err)
		}
	}
}

func TestMobileNumbers(t *testing.T) {
	tests := []struct {
		in, want string // want "" = rejected
	}{
		{"+4915100001234", "+4915100001234"}, // documented fictitious range is MOBILE
		{"0151 00001234", "+4915100001234"},
		{"+49 (151) 0000-1234", "+4915100001234"},
		{"+15005550006", "+15005550006"}, // Twilio test number, accepted explicitly
		{"0511 123", ""},                 // landline Hannover
		{"0800 1234567", ""},             // toll-free
		{"12", ""},
		{"kein Handy", ""},
	}
	m := newMobileNormaliser()
	for _, tt := range tests {
		got, err := m.normalise(tt.in, "DE")
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("normalise(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
