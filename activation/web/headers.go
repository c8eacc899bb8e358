package web

import "net/http"

// DocumentCSP is the policy for self-contained HTML documents (reports,
// history): inline styles only, no scripts, no frames, no forms elsewhere.
const DocumentCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; " +
	"form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

// SecureHTML sets the headers every HTML response of Kaskade carries: its
// content type, csp as Content-Security-Policy, no framing, no sniffing,
// no referrer and no caching.
func SecureHTML(h http.Header, csp string) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
}
