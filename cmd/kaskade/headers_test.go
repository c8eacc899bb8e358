package main

import (
	"net/http"
	"strings"
	"testing"
)

// A request header over 64 KiB is refused before any handler runs.
func TestOversizedHeaderRefused(t *testing.T) {
	s := startTest(t, t.TempDir(), &recorder{}, nil)
	for _, tc := range []struct {
		size int
		want int
	}{{1 << 10, http.StatusOK}, {100 << 10, http.StatusRequestHeaderFieldsTooLarge}} {
		req, _ := http.NewRequest("GET", s.URL+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("a", tc.size))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("header of %d bytes: status %d, want %d", tc.size, resp.StatusCode, tc.want)
		}
	}
}
