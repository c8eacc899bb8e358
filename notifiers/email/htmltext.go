package email

import (
	"html"
	"regexp"
	"strings"
)

// htmlTokens matches what htmlToText skips (comments, script, style, head,
// title with their content) and every other tag, whose name is group 2.
func htmlTokens() *regexp.Regexp {
	return regexp.MustCompile(`(?is)<!--.*?-->|<script\b.*?</script\s*>|<style\b.*?</style\s*>|` +
		`<head\b.*?</head\s*>|<title\b.*?</title\s*>|<(/?)([a-z][a-z0-9:]*)\b[^>]*>|<[^>]*>`)
}

// breaks are the elements that start a new line.
var breaks = map[string]bool{"br": true, "p": true, "div": true, "li": true, "tr": true, "hr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "table": true, "pre": true}

// htmlToText renders an HTML-only reply as plain text for firstLine: block
// elements and <br> break lines, whitespace collapses as a browser does,
// and every line inside <blockquote> is quoted with "> ".
func (p *replyParser) htmlToText(s string) string {
	var out, line strings.Builder
	depth, quotedLine := 0, false
	flush := func() {
		if t := strings.TrimSpace(line.String()); t != "" {
			if quotedLine {
				out.WriteString("> ")
			}
			out.WriteString(t)
		}
		out.WriteByte('\n')
		line.Reset()
		quotedLine = depth > 0
	}
	text := func(t string) {
		if strings.TrimSpace(line.String()) == "" {
			quotedLine = depth > 0
		}
		line.WriteString(collapseSpace(html.UnescapeString(t)))
	}
	last := 0
	for _, m := range p.tags.FindAllStringSubmatchIndex(s, -1) {
		text(s[last:m[0]])
		last = m[1]
		if m[4] < 0 {
			continue // comment, skipped element or unnamed tag
		}
		name := strings.ToLower(s[m[4]:m[5]])
		closing := m[3] > m[2]
		switch {
		case name == "blockquote":
			flush()
			if closing && depth > 0 {
				depth--
			} else if !closing {
				depth++
			}
			quotedLine = depth > 0
		case breaks[name]:
			flush()
		}
	}
	text(s[last:])
	flush()
	return out.String()
}

// collapseSpace turns runs of HTML white space (not no-break spaces) into
// one space.
func collapseSpace(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' {
			space = true
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	if space {
		b.WriteByte(' ')
	}
	return b.String()
}
