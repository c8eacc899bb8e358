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
		{
			name: "html with upper-case head and style (Lotus Notes, old Outlook)",
			raw: clientHeader + "Content-Type: text/html; charset=windows-1252\n\n<HTML><HEAD><STYLE>p.MsoNormal {margin:0}</STYLE></HEAD>" +
				"<BODY><P>1</P></BODY></HTML>\n",
			want: "1",
		},
		{
			name: "html comment with >",
			raw:  clientHeader + "Content-Type: text/html\n\n<html><!--[if mso]> a > b <![endif]-->\n<body>3</body></html>\n",
			want: "3",
		},
		{
			name: "html br with attributes (Apple Mail)",
			raw: clientHeader + "Content-Type: text/html\n\n<div class=\"\">2 30<br class=\"\">Erika<br class=\"\">" +
				"<blockquote type=\"cite\" class=\"\">x</blockquote></div>\n",
			want: "2 30",
		},
		{
			name: "html source wrapped inside a paragraph",
			raw:  clientHeader + "Content-Type: text/html\n\n<p>Ja, ich komme, bin aber erst\nin 45 Minuten da</p>\n",
			want: "Ja, ich komme, bin aber erst in 45 Minuten da",
		},
		{
			name: "html Gmail quote without own text",
			raw: clientHeader + "Content-Type: text/html\n\n<div dir=\"ltr\"><br></div><div class=\"gmail_quote\"><div class=\"gmail_attr\">" +
				"Am Do., 3. Dez. 2026 um 21:00 Uhr schrieb Kaskade &lt;<a href=\"mailto:k@x.de\">k@x.de</a>&gt;:<br></div>" +
				"<blockquote class=\"gmail_quote\"><div>NOTFALL</div><div>Antwort: 1=komme</div></blockquote></div>\n",
			want: "",
		},
		{
			name: "html answer below a blockquote",
			raw: clientHeader + "Content-Type: text/html\n\n<div>Am 03.12.26 um 21:00 schrieb K:</div><blockquote><p>NOTFALL</p>" +
				"<p>Antwort: 1=komme</p></blockquote><p>3</p>\n",
			want: "3",
		},
		{
			name: "format=flowed soft break (Thunderbird)",
			raw: clientHeader + "Content-Type: text/plain; charset=UTF-8; format=flowed\nContent-Transfer-Encoding: 8bit\n\n" +
				"Ich komme, stehe aber noch mit dem Wagen im Stau auf der A2 bei Peine und bin \nerst in 45 Minuten da\n",
			want: "Ich komme, stehe aber noch mit dem Wagen im Stau auf der A2 bei Peine und bin erst in 45 Minuten da",
		},
		{
			name: "format=flowed delsp=yes (Apple Mail)",
			raw: clientHeader + "Content-Type: text/plain; charset=utf-8; format=flowed; delsp=yes\n\n" +
				"Komme in 90 Min, Autobahn gesperrt, Umlei \ntung  \n\u00fcber Hildesheim\n\n> Antwort: \n> 1=komme\n",
			want: "Komme in 90 Min, Autobahn gesperrt, Umleitung \u00fcber Hildesheim",
		},
		{
			name: "format=flowed keeps the signature separator",
			raw:  clientHeader + "Content-Type: text/plain; format=flowed\n\n-- \nErika M\n",
			want: "",
		},
		{
			name: "charset unknown-8bit, Windows-1252 bytes",
			raw:  clientHeader + "Content-Type: text/plain; charset=unknown-8bit\nContent-Transfer-Encoding: 8bit\n\nKomme, bin um 5 \xfc ber Hannover\n",
			want: "Komme, bin um 5 \u00fc ber Hannover",
		},
		{
			name: "charset misspelt, UTF-8 bytes",
			raw:  clientHeader + "Content-Type: text/plain; charset=x-utf8x\n\nNicht verf\u00fcgbar\n",
			want: "Nicht verf\u00fcgbar",
		},
		{
			name: "base64 with indented lines and no padding",
			raw: clientHeader + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
				"SmEsIGljaCBr \n b21tZSBpbiAz\nMCBNaW51dGVu\n",
			want: "Ja, ich komme in 30 Minuten",
		},
		{
			name: "base64 with a corrupt tail",
			raw:  clientHeader + "Content-Transfer-Encoding: base64\n\nMiAzMAo=\n!!garbage!!\n",
			want: "2 30",
		},
		{
			name: "out of office by subject only (Outlook rule)",
			raw:  "From: e@mi.example.de\nSubject: Automatische Antwort: NOTFALL Cyberangriff\n\nIch bin bis 10.12. nicht verf\u00fcgbar.\n",
			auto: true, want: "Ich bin bis 10.12. nicht verf\u00fcgbar.",
		},
		{
			name: "out of office behind a gateway tag, encoded subject",
			raw:  "From: e@mi.example.de\nSubject: [EXTERN] =?utf-8?q?Abwesenheitsnotiz=3A_Alarm?=\n\nNicht im B\u00fcro.\n",
			auto: true, want: "Nicht im B\u00fcro.",
		},
		{
			name: "reply to an incident whose title sounds automatic",
			raw:  "From: e@mi.example.de\nSubject: AW: NOTFALL E-Mail unzustellbar, Out of Office-Dienste gest\u00f6rt\n\n1\n",
			want: "1",
		},
		{
			name: "delivery report with a sender (forwarded)",
			raw: "From: Mail System <e@mi.example.de>\nSubject: Alarm\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n" +
				"--b\nContent-Type: text/plain\n\n1 message could not be delivered\n--b\nContent-Type: message/delivery-status\n\nAction: failed\n--b--\n",
			auto: true, want: "1 message could not be delivered",
		},
		{
			name: "bounce from MAILER-DAEMON",
			raw:  "From: MAILER-DAEMON@mx.mi.example.de\nSubject: Alarm\n\n1\n",
			auto: true, want: "1",
		},
		{
			name: "mailing list (List-Post only)",
			raw:  "From: e@mi.example.de\nSubject: Re: Alarm\nList-Post: <mailto:stab@mi.example.de>\n\n1\n",
			auto: true, want: "1",
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

// A message with several From headers or addresses is not read: the
// receiving server may have authenticated another than the first.
func TestParseAmbiguousFrom(t *testing.T) {
	p := newReplyParser()
	for _, from := range []string{
		"From: Erika <erika.mueller@mi.example.de>\r\nFrom: x@evil.example\r\n",
		"From: erika.mueller@mi.example.de, x@evil.example\r\n",
	} {
		if r, err := p.parse([]byte(from + "Subject: Re\r\n\r\n1\r\n")); err == nil {
			t.Errorf("%q: parsed, from %q", from, r.from)
		}
	}
}
