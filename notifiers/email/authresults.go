package email

import (
	"strings"
)

// Verdicts of the receiving server's Authentication-Results (RFC 8601).
const (
	AuthPass      = "pass"      // DMARC passed, or an aligned DKIM or SPF pass
	AuthFail      = "fail"      // DMARC failed, or SPF failed without any DKIM pass
	AuthNone      = "none"      // results present, neither pass nor fail
	AuthUntrusted = "untrusted" // no results from the configured authserv-id
)

// maxAuthHeader bounds the work on one hostile header.
const maxAuthHeader = 4096

// maxAuthSummary bounds what is recorded with an answer.
const maxAuthSummary = 300

// authResult is one method's result: dkim=pass header.d=example.de.
type authResult struct {
	method, result string
	props          map[string]string // "header.d", "smtp.mailfrom", "header.from", …
}

// parseAuthResults parses one Authentication-Results value into its
// authserv-id and results; ok is false when it is not well formed.
func parseAuthResults(v string) (servID string, results []authResult, ok bool) {
	if len(v) > maxAuthHeader {
		return "", nil, false
	}
	parts := splitUnquoted(stripComments(v), ';')
	head := fieldsUnquoted(parts[0])
	if len(head) == 0 || len(head) > 2 {
		return "", nil, false
	}
	servID = unquote(head[0])
	for _, p := range parts[1:] {
		f := fieldsUnquoted(p)
		if len(f) == 0 {
			continue
		}
		if len(f) == 1 && strings.EqualFold(f[0], "none") {
			continue
		}
		method, result, found := strings.Cut(f[0], "=")
		if !found || method == "" || result == "" {
			return "", nil, false
		}
		method, _, _ = strings.Cut(method, "/") // method version
		r := authResult{method: strings.ToLower(method), result: strings.ToLower(unquote(result)), props: map[string]string{}}
		for _, kv := range f[1:] {
			k, val, found := strings.Cut(kv, "=")
			if !found {
				return "", nil, false
			}
			r.props[strings.ToLower(k)] = unquote(val)
		}
		results = append(results, r)
	}
	return servID, results, servID != ""
}

// authCheck evaluates the first Authentication-Results header added by
// servID (the receiving server removes forged ones with its id, RFC 8601
// §5) for a message from fromDomain. summary is recorded with the answer.
func authCheck(headers []string, servID, fromDomain string) (verdict, summary string) {
	if servID == "" {
		return AuthUntrusted, ""
	}
	for _, h := range headers {
		id, results, ok := parseAuthResults(h)
		if !ok || !strings.EqualFold(id, servID) {
			continue
		}
		verdict = evaluate(results, fromDomain)
		var b strings.Builder
		b.WriteString(verdict + " (" + id + ":")
		for _, r := range results {
			b.WriteString(" " + r.method + "=" + r.result)
		}
		if len(results) == 0 {
			b.WriteString(" none")
		}
		b.WriteString(")")
		summary = b.String()
		if len(summary) > maxAuthSummary {
			summary = truncateUTF8(summary, maxAuthSummary)
		}
		return verdict, summary
	}
	return AuthUntrusted, AuthUntrusted
}

func evaluate(results []authResult, fromDomain string) string {
	spfFail, dkimPass := false, false
	for _, r := range results {
		switch r.method {
		case "dmarc":
			switch r.result {
			case "pass":
				// Only a pass for the From domain Kaskade checks counts.
				if hf := r.props["header.from"]; hf == "" || strings.EqualFold(strings.TrimSuffix(hf, "."), fromDomain) {
					return AuthPass
				}
			case "fail":
				return AuthFail
			}
		case "dkim":
			if r.result == "pass" {
				dkimPass = true
				if aligned(r.props["header.d"], fromDomain) || aligned(domainPart(r.props["header.i"]), fromDomain) {
					return AuthPass
				}
			}
		case "spf":
			switch r.result {
			case "pass":
				mailFrom := r.props["smtp.mailfrom"]
				if strings.Contains(mailFrom, "@") {
					mailFrom = domainPart(mailFrom)
				}
				if aligned(mailFrom, fromDomain) {
					return AuthPass
				}
			case "fail":
				spfFail = true
			}
		}
	}
	if spfFail && !dkimPass {
		return AuthFail
	}
	return AuthNone
}

// aligned is DMARC's relaxed alignment without a public suffix list: the
// same domain or one a subdomain of the other.
func aligned(d, from string) bool {
	d, from = strings.ToLower(strings.TrimSuffix(d, ".")), strings.ToLower(strings.TrimSuffix(from, "."))
	if d == "" || from == "" {
		return false
	}
	return d == from || strings.HasSuffix(from, "."+d) && strings.Contains(d, ".") || strings.HasSuffix(d, "."+from)
}

// stripComments removes RFC 5322 comments (nested parentheses) outside
// quoted strings.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (quoted || depth > 0) && i+1 < len(s):
			if depth == 0 {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
			b.WriteByte(c)
		case c == '(' && !quoted:
			depth++
		case c == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// splitUnquoted splits s at sep outside quoted strings; never empty.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quoted:
			i++
		case s[i] == '"':
			quoted = !quoted
		case s[i] == sep && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// fieldsUnquoted splits s at white space outside quoted strings, joining
// "a = b" into "a=b".
func fieldsUnquoted(s string) []string {
	var f []string
	var tok strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && quoted && i+1 < len(s):
			tok.WriteByte(c)
			tok.WriteByte(s[i+1])
			i++
		case c == '"':
			quoted = !quoted
			tok.WriteByte(c)
		case !quoted && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			if tok.Len() > 0 {
				f = append(f, tok.String())
				tok.Reset()
			}
		default:
			tok.WriteByte(c)
		}
	}
	if tok.Len() > 0 {
		f = append(f, tok.String())
	}
	var out []string
	for i := 0; i < len(f); i++ {
		t := f[i]
		for i+1 < len(f) && (strings.HasSuffix(t, "=") || strings.HasPrefix(f[i+1], "=")) {
			t += f[i+1]
			i++
		}
		out = append(out, t)
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
		return strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(s)
	}
	return s
}
