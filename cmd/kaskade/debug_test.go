package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestDebugListenerServesProfilesApart(t *testing.T) {
	url, stop, err := startDebug("127.0.0.1:0", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(url + "heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("heap profile: %d %.100q", resp.StatusCode, body)
	}
	stop()
	if _, err := http.Get(url); err == nil {
		t.Fatal("the debug listener still answers after stop")
	}
	if _, _, err := startDebug("256.0.0.1:1", slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--debug-addr") {
		t.Fatalf("bad address: %v", err)
	}
}
