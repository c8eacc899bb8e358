package email

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// replySeeds is the seed corpus of the reply parser: real shapes of
// replies (quoted-printable, base64 Latin-1, nested multipart, HTML only,
// Authentication-Results) and broken ones.
var replySeeds = []string{
	plainReply,
	"From: a@mi.example.de\r\nSubject: Re\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b1\"\r\n\r\n" +
		"--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + b64Latin1("Nicht verfügbar\r\n> Zitat\r\n") + "\r\n--b1--\r\n",
	"From: a@mi.example.de\r\nContent-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n" +
		"--i\r\nContent-Type: text/plain\r\n\r\n> q\r\nkomme\r\n--i--\r\n--o--\r\n",
	"From: a@mi.example.de\r\nContent-Type: text/html; charset=windows-1252\r\n\r\n<html><head><style>p{}</style></head><body><div>1&nbsp;K7</div></body></html>\r\n",
	"From: a@mi.example.de\r\nIn-Reply-To: <n-1+K9-n1-abcdefghijklmnop@lage.example.de>\r\nReferences: <x@y> <z\r\n\r\nja\r\n",
	"Authentication-Results: mx.lage.example.de; spf=pass smtp.mailfrom=mi.example.de; dkim=pass header.d=mi.example.de; dmarc=pass\r\n" +
		"From: =?utf-8?q?Erika_M=C3=BCller?= <erika@mi.example.de>\r\nMessage-ID: <r@mi.example.de>\r\n\r\n2 30\r\n",
	"From: a@b\r\nContent-Type: multipart/mixed\r\n\r\n1\r\n",
	"From: a@b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=E2=80=\r\n1=0D3=00=1B\r\n",
	"From: a@b\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n1\r\n",
	"not a message",
	"",
}

func FuzzReplyParser(f *testing.F) {
	for _, s := range replySeeds {
		f.Add([]byte(s))
	}
	p := newReplyParser()
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := p.parse(raw)
		if err != nil {
			return
		}
		if len(r.firstLine) > maxFirstLine || !utf8.ValidString(r.firstLine) {
			t.Fatalf("first line %q: too long or not UTF-8", r.firstLine)
		}
		if strings.IndexFunc(r.firstLine, unicode.IsControl) >= 0 {
			t.Fatalf("first line %q has control characters", r.firstLine)
		}
		for _, id := range r.references {
			if tag := tagFromMessageID(id, "lage.example.de"); tag != "" && !ValidTag(tag) {
				t.Fatalf("invalid tag %q from %q", tag, id)
			}
		}
		verdict, summary := authCheck(r.authResults, "mx.lage.example.de", domainPart(r.from))
		checkVerdict(t, verdict, summary)
	})
}

func FuzzAuthResults(f *testing.F) {
	for _, s := range []string{
		"mx.lage.example.de; none",
		`mx.lage.example.de 1; dkim/1=pass (good (nested) sig) header.d="mi.example.de" header.s=s1; spf = fail smtp.mailfrom=a@mi.example.de`,
		`"mx;quoted"; dmarc=fail (p=reject; sp=none) header.from=mi.example.de`,
		`mx.lage.example.de; dkim=pass header.i=@mi.example.de; dmarc=none reason="no \"policy\""`,
		"mx.lage.example.de; spf=softfail (\\) smtp.mailfrom=",
		"(", `"`, ";;;", "mx; =", "mx; a=b c",
	} {
		f.Add(s, "mi.example.de")
	}
	f.Fuzz(func(t *testing.T, header, fromDomain string) {
		id, results, ok := parseAuthResults(header)
		if ok && id == "" {
			t.Fatal("well formed without an authserv-id")
		}
		for _, r := range results {
			if r.method == "" || r.result == "" || r.method != strings.ToLower(r.method) {
				t.Fatalf("result %+v", r)
			}
		}
		verdict, summary := authCheck([]string{header, header}, id, fromDomain)
		checkVerdict(t, verdict, summary)
	})
}

func checkVerdict(t *testing.T, verdict, summary string) {
	t.Helper()
	switch verdict {
	case AuthPass, AuthFail, AuthNone, AuthUntrusted:
	default:
		t.Fatalf("verdict %q", verdict)
	}
	if summary == "" && verdict == AuthUntrusted { // no authserv-id configured
		return
	}
	if len(summary) > maxAuthSummary || !strings.HasPrefix(summary, verdict) {
		t.Fatalf("summary %q for verdict %s", summary, verdict)
	}
}
