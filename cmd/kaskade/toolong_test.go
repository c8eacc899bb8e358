package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// Finding 6 of issue 15 on the command line: a title or an update whose
// SMS exceeds the segment budget is refused by the server, and the CLI
// says so with the budget (400 too_long); nothing is declared or sent.
func TestCLIRefusesTextsOverTheSMSBudget(t *testing.T) {
	s := startTest(t, t.TempDir(), &recorder{}, nil)
	conn := []string{"--server", s.URL, "--token", s.token}
	var out bytes.Buffer
	err := declareCmd(t.Context(), append(conn, "--scenario", "cyberangriff", "--org", "MI", "--reason", "Test",
		"--title", strings.Repeat("x", 1679)), &out)
	wantTooLong(t, "declare", err)
	if out.Len() != 0 {
		t.Errorf("declare printed %q for a refused declaration", out.String())
	}
	var list struct{ Incidents []any }
	if code := s.api("GET", "/api/v1/incidents", nil, &list); code != 200 || len(list.Incidents) != 0 {
		t.Fatalf("incidents after a refused declaration: %d %v", code, list.Incidents)
	}
	if err := declareCmd(t.Context(), append(conn, "--scenario", "cyberangriff", "--org", "MI", "--reason", "Test"), &out); err != nil {
		t.Fatal(err)
	}
	id := strings.Fields(strings.SplitN(out.String(), ":", 2)[1])[0]
	out.Reset()
	err = updateCmd(t.Context(), append(conn, "--incident", id, strings.Repeat("Lage ", 200)), &out)
	wantTooLong(t, "update", err)
	if out.Len() != 0 {
		t.Errorf("update printed %q for a refused update", out.String())
	}
}

func wantTooLong(t *testing.T, cmd string, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.Code != "too_long" || !strings.Contains(ae.Message, "budget is 3 SMS") {
		t.Fatalf("%s: %v, want 400 too_long naming the budget of 3 SMS", cmd, err)
	}
	if !strings.Contains(err.Error(), "too_long") {
		t.Errorf("%s: the message %q does not name the code", cmd, err)
	}
}
