package reply

import "testing"

var benchReplies = []string{"1", " 'Komme' ", "2 30", "2 15 K7", "komme in 20 min", "nein", "3 K12", "STOP", "vielleicht später", "Ja, bin unterwegs\nGesendet von meinem iPhone"}

// BenchmarkParse parses a mix of typical SMS replies (one per op).
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = Parse(benchReplies[i%len(benchReplies)])
		i++
	}
}

// BenchmarkParseSimple is the common case: a bare "1".
func BenchmarkParseSimple(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Parse("1")
	}
}
