package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestReportFileNotWorldReadable: a report or history written with -o holds
// names, answers and remarks („bin krank“); like `person export` it is 0600.
func TestReportFileNotWorldReadable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("incident,name,remark\nK1,Anna Müller,bin krank\n"))
	}))
	t.Cleanup(srv.Close)
	connect := func() (*client, error) { return &client{base: srv.URL, token: "t", http: srv.Client()}, nil }
	out := filepath.Join(t.TempDir(), "bericht.csv")
	if err := fetchTo(context.Background(), connect, "/api/v1/incidents/K1/report?format=csv", out, io.Discard); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if perm := st.Mode().Perm(); perm != 0o600 {
		t.Fatalf("report written with mode %o, want 600", perm)
	}
}
