package email

import "testing"

// The answer line of plain-text replies as clients quote them; these cases
// came with the grammar's former copy of this function.
func TestFirstLineOfPlainReplies(t *testing.T) {
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
			if got := firstLine(tt.body); got != tt.want {
				t.Errorf("firstLine(%q) = %q, want %q", tt.body, got, tt.want)
			}
		})
	}
}
