package config

import (
	"strings"
	"testing"
)

func TestVoicePhones(t *testing.T) {
	tests := []struct {
		name, old, new string
		wantErr        string // "" for none
		phone          string // person a's phone after load
		voice          string // person a's VoiceNumber
	}{
		{"landline phone", `    mobile: "+49 151 00001001"` + "\n", `    mobile: "+49 151 00001001"` + "\n    phone: \"0511 120 0\"\n", "", "+495111200", "+495111200"},
		{"phone only", `    mobile: "+49 151 00001001"` + "\n", "    phone: \"+49 511 1200\"\n", "", "+495111200", "+495111200"},
		{"no phone calls the mobile", "version: 1\n", "version: 1\n", "", "", "+4915100001001"},
		{"invalid phone", `    mobile: "+49 151 00001001"` + "\n", `    mobile: "+49 151 00001001"` + "\n    phone: \"0511 1\"\n", "people[0].phone", "", ""},
		{"not a number", `    mobile: "+49 151 00001001"` + "\n", `    mobile: "+49 151 00001001"` + "\n    phone: \"ruf an\"\n", "people[0].phone", "", ""},
		{"voice step", "version: 1\n", "version: 1\npolicies:\n  - id: p\n    wait: 10m\n    steps:\n      - {channel: sms}\n      - {channel: voice, after: 3m, if: no_answer}\n", "", "", "+4915100001001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, probs, err := LoadBytes("test.yaml", []byte(edit(t, tt.old, tt.new)), testEnv)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				if cfg != nil || !strings.Contains(probs.String(), tt.wantErr) {
					t.Fatalf("want an error at %s, got %s", tt.wantErr, probs)
				}
				return
			}
			if cfg == nil {
				t.Fatalf("errors: %s", probs)
			}
			// Only a phone under the built-in SMS/email policy: warned as unreachable.
			if unreachable := strings.Contains(probs.String(), "cannot be reached"); unreachable != (tt.name == "phone only") {
				t.Fatalf("warnings: %s", probs)
			}
			p, _ := cfg.Person("a")
			if p.Phone != tt.phone || p.VoiceNumber() != tt.voice {
				t.Fatalf("phone %q voice %q, want %q %q", p.Phone, p.VoiceNumber(), tt.phone, tt.voice)
			}
		})
	}
}
