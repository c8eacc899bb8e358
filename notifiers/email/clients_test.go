package email

import (
	"strings"
	"testing"
)

// clientHeader starts the replies below as a mail client sends them.
const clientHeader = "From: Erika <e@mi.example.de>\nTo: kaskade+T1@lage.example.de\nSubject: AW: Alarm\nMessage-ID: <x@mi.example.de>\n"

// TestParseClientReplies feeds replies shaped like real mail clients' to
// the parser and checks the answer line and the automatic flag.
func TestParseClientReplies(t *testing.T) {
	tests := []struct {
		name, raw, want string
		auto            bool
	}{
		{
			name: "text attachment beside an html body",
			raw: clientHeader + "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/html; charset=utf-8\n\n<p>3</p>\n" +
				"--m\nContent-Type: text/plain; name=log.txt\nContent-Disposition: attachment; filename=log.txt\n\n1 Protokoll\n--m--\n",
			want: "3",
		},
		{
			name: "only a text attachment",
			raw: clientHeader + "Content-Type: multipart/mixed; boundary=m\n\n--m\nContent-Type: text/plain; name=a.txt\n" +
				"Content-Disposition: ATTACHMENT; filename=a.txt\n\n1\n--m--\n",
			want: "",
		},
	}
	p := newReplyParser()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := p.parse([]byte(strings.ReplaceAll(tt.raw, "\n", "\r\n")))
			if err != nil {
				t.Fatal(err)
			}
			if r.firstLine != tt.want || r.auto != tt.auto {
				t.Fatalf("line %q auto %v, want %q auto %v", r.firstLine, r.auto, tt.want, tt.auto)
			}
		})
	}
}
