package web_test

import (
	"net/http"
	"testing"

	"github.com/kaskade-bcm/kaskade/activation/web"
)

func TestSecureHTML(t *testing.T) {
	h := http.Header{}
	web.SecureHTML(h, web.DocumentCSP)
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": web.DocumentCSP,
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}
