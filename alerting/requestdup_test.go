package alerting

import (
	"testing"
	"time"
)

// TestRequestNotDuplicateOfItself: a NATS request is also persisted in the
// declare stream; when the stream consumer declares it first, the requester
// must not be told "duplicate" for its own first declaration. A request that
// arrives after the declaration was made is a duplicate.
func TestRequestNotDuplicateOfItself(t *testing.T) {
	in, _, layout := intakeOnNATS(t)
	body := []byte(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"declared_by":"SIEM","reason":"Ransomware"}`)
	subject := layout.DeclarerSubject("siem")
	received := time.Now()
	time.Sleep(5 * time.Millisecond)
	first, err := in.handleRaw(t.Context(), subject, body) // the stream consumer wins the race
	if err != nil || first.Duplicate {
		t.Fatalf("stream path: %+v %v", first, err)
	}
	res, err := in.answer(t.Context(), subject, body, received)
	if err != nil || res.Duplicate || res.IncidentID != first.IncidentID {
		t.Fatalf("request received before the declaration: %+v %v, want %s without duplicate", res, err, first.IncidentID)
	}
	time.Sleep(5 * time.Millisecond)
	res, err = in.answer(t.Context(), subject, body, time.Now())
	if err != nil || !res.Duplicate || res.IncidentID != first.IncidentID {
		t.Fatalf("a later repeat: %+v %v, want %s as duplicate", res, err, first.IncidentID)
	}
}
