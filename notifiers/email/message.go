package email

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"

	mail "github.com/wneessen/go-mail"

	"github.com/kaskade-bcm/kaskade/notifiers"
)

// Header names Kaskade sets on every notification.
const (
	HeaderNotification = "X-Kaskade-Notification"
	HeaderIncident     = "X-Kaskade-Incident"
	HeaderPurpose      = "X-Kaskade-Purpose"
	HeaderExercise     = "X-Kaskade-Exercise"
)

// maxTagLen bounds a reply tag so the plus-address stays within the 64
// characters RFC 5321 allows for a local part.
const maxTagLen = 40

// ValidTag reports whether tag can be used as a plus-address tag: 1–40
// characters from A–Z, a–z, 0–9, '-' and '_'.
func ValidTag(tag string) bool {
	if tag == "" || len(tag) > maxTagLen {
		return false
	}
	for i := 0; i < len(tag); i++ {
		if !tagByte(tag[i]) {
			return false
		}
	}
	return true
}

func tagByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// MessageID returns the Message-ID (without angle brackets) Kaskade uses
// for a notification: "<id>@<domain>", or "<id>+<tag>@<domain>" when the
// message carries a reply tag, so that a reply whose Reply-To tag was lost
// can still be matched through In-Reply-To. Characters of id outside
// A–Z a–z 0–9 - _ are replaced by '_'.
func MessageID(id, tag, domain string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		if tagByte(id[i]) {
			b.WriteByte(id[i])
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		b.WriteString("kaskade")
	}
	if tag != "" {
		b.WriteString("+" + tag)
	}
	return b.String() + "@" + domain
}

// tagFromMessageID is the inverse of MessageID for the tag, when the
// Message-ID's host is domain.
func tagFromMessageID(msgID, domain string) string {
	msgID = strings.Trim(strings.TrimSpace(msgID), "<>")
	at := strings.LastIndexByte(msgID, '@')
	if at < 0 || !strings.EqualFold(msgID[at+1:], domain) {
		return ""
	}
	_, tag, ok := strings.Cut(msgID[:at], "+")
	if !ok || !ValidTag(tag) {
		return ""
	}
	return tag
}

// plusAddress inserts tag into addr: kaskade@x → kaskade+tag@x.
func plusAddress(addr, tag string) string {
	return localPart(addr) + "+" + tag + "@" + domainPart(addr)
}

// build renders m into a go-mail message.
func (s *Sender) build(m notifiers.Message) (*mail.Msg, string, error) {
	msg := mail.NewMsg()
	msg.FromMailAddress(s.o.from)
	if err := msg.To(m.To); err != nil {
		return nil, "", fmt.Errorf("recipient: %w", err)
	}
	msg.Subject(oneLine(m.Subject))
	id := MessageID(m.ID, m.ReplyTag, s.o.domain)
	msg.SetMessageIDWithValue(id)
	msg.SetDateWithValue(s.o.Now())
	if m.ReplyTag != "" && s.o.replyTo != nil {
		if err := msg.ReplyTo(plusAddress(s.o.replyTo.Address, m.ReplyTag)); err != nil {
			return nil, "", fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.SetGenHeader(HeaderNotification, m.ID)
	if m.Incident != "" {
		msg.SetGenHeader(HeaderIncident, m.Incident)
	}
	if m.Purpose != "" {
		msg.SetGenHeader(HeaderPurpose, string(m.Purpose))
	}
	if m.Exercise {
		msg.SetGenHeader(HeaderExercise, "yes")
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	// Ask Exchange/Outlook not to send out-of-office replies to the listener.
	msg.SetGenHeader("X-Auto-Response-Suppress", "All")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	body := m.HTML
	if body == "" {
		body = textToHTML(s.urls, m.Text, m.Subject, m.Language)
	}
	msg.AddAlternativeString(mail.TypeTextHTML, body)
	return msg, "<" + id + ">", nil
}

// oneLine joins a subject to one line: runs of white space, line and
// paragraph separators and control characters become one space.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}

func urlPattern() *regexp.Regexp { return regexp.MustCompile(`https?://[^\s<>"]+`) }

// textToHTML renders plain text as a minimal, escaped HTML document:
// paragraphs at blank lines, line breaks kept, http(s) links clickable.
func textToHTML(urls *regexp.Regexp, text, title, lang string) string {
	if lang != "en" {
		lang = "de"
	}
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html lang="` + lang + `"><head><meta charset="utf-8">` +
		`<meta name="viewport" content="width=device-width, initial-scale=1"><title>`)
	b.WriteString(html.EscapeString(title))
	b.WriteString(`</title></head><body style="font-family:sans-serif;font-size:16px;line-height:1.4">` + "\n")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	for _, para := range strings.Split(text, "\n\n") {
		para = strings.Trim(para, "\n")
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString("<p>")
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			b.WriteString(linkify(urls, line))
		}
		b.WriteString("</p>\n")
	}
	b.WriteString("</body></html>\n")
	return b.String()
}

// linkify escapes line and turns http(s) URLs into links.
func linkify(urls *regexp.Regexp, line string) string {
	var b strings.Builder
	last := 0
	for _, loc := range urls.FindAllStringIndex(line, -1) {
		u := strings.TrimRight(line[loc[0]:loc[1]], ".,;:!?)'")
		b.WriteString(html.EscapeString(line[last:loc[0]]))
		e := html.EscapeString(u)
		b.WriteString(`<a href="` + e + `">` + e + `</a>`)
		last = loc[0] + len(u)
	}
	b.WriteString(html.EscapeString(line[last:]))
	return b.String()
}
