package twilio_test

import (
	"strconv"
	"testing"

	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// TestScriptsEvictOldest: a full store (10,000) drops its oldest entries,
// where putting again makes an entry young.
func TestScriptsEvictOldest(t *testing.T) {
	s := twilio.NewScripts(0)
	for i := range 10000 {
		s.Put("k"+strconv.Itoa(i), "t"+strconv.Itoa(i))
	}
	s.Put("k0", "again") // k0 is now the youngest, k1 the oldest
	s.Put("new1", "n1")
	s.Put("new2", "n2")
	tests := []struct {
		id, want string
		ok       bool
	}{
		{"k1", "", false}, {"k2", "", false},
		{"k0", "again", true}, {"k3", "t3", true}, {"k9999", "t9999", true}, {"new1", "n1", true}, {"new2", "n2", true},
	}
	for _, tt := range tests {
		if got, ok := s.Get(tt.id); got != tt.want || ok != tt.ok {
			t.Errorf("Get(%s) = %q %v, want %q %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
}
