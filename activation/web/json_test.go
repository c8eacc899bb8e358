package web

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestWriteError(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteError(rec, 422, "unknown_scenario", "no such scenario")
	var got struct{ Error ErrorBody }
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 422 || got.Error.Code != "unknown_scenario" || got.Error.Message != "no such scenario" {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	for k, want := range map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"} {
		if v := rec.Header().Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
}
