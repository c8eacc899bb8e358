package main

import (
	"bufio"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBoardRead: the stream reader signals the snapshot even when it is
// longer than its buffer, and records only readiness changes of known
// incidents, once each.
func TestBoardRead(t *testing.T) {
	long := `{"incidents":[` + strings.Repeat(`{"id":"x"},`, 2000) + `{}]}`
	for _, tc := range []struct {
		name   string
		stream string
		ready  bool
		seen   []bool // by incident index K0, K1, K2
	}{
		{"long snapshot, then a readiness change", "retry: 3000\nevent: snapshot\ndata: " + long + "\n\n" +
			"id: 7\nevent: change\ndata: {\"seq\":7,\"kind\":\"readiness\",\"incident_id\":\"K1\",\"readiness\":{}}\n\n", true, []bool{false, true, false}},
		{"short snapshot, timeline and unknown incident ignored", "event: snapshot\ndata: {}\n\n" +
			"event: change\ndata: {\"seq\":8,\"kind\":\"timeline\",\"incident_id\":\"K0\"}\n\n" +
			"event: change\ndata: {\"seq\":9,\"kind\":\"readiness\",\"incident_id\":\"K9\"}\n\n" +
			"event: change\ndata: {\"seq\":10,\"kind\":\"readiness\",\"incident_id\":\"K2\"}\n\n", true, []bool{false, false, true}},
		{"no snapshot", "event: ping\ndata: {}\n\n", false, []bool{false, false, false}},
		{"a long change line is skipped whole", "event: snapshot\ndata: {}\n\nevent: change\ndata: {\"seq\":11,\"kind\":\"incident\",\"incident_id\":\"K0\",\"x\":\"" +
			strings.Repeat("a", 9000) + "\",\"kind\":\"readiness\",\"incident_id\":\"K0\"}\n\n", true, []bool{false, false, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &boardRun{byID: map[string]int{"K0": 0, "K1": 1, "K2": 2}}
			st := &boardStream{}
			st.seen[0] = make([]atomic.Int64, 3)
			ready := make(chan struct{})
			r.read(bufio.NewReaderSize(strings.NewReader(tc.stream), 4<<10), st, ready)
			select {
			case <-ready:
				if !tc.ready {
					t.Fatal("snapshot signalled without one")
				}
			default:
				if tc.ready {
					t.Fatal("snapshot not signalled")
				}
			}
			for k, want := range tc.seen {
				if got := st.seen[0][k].Load() != 0; got != want {
					t.Errorf("incident K%d seen %v, want %v", k, got, want)
				}
			}
			if st.bytes.Load() != int64(len(tc.stream)) {
				t.Errorf("bytes %d, want %d", st.bytes.Load(), len(tc.stream))
			}
		})
	}
}

// TestIsAlert: the stand-down phase tells alerts from stand-downs by the
// fan-out scenario's template.
func TestIsAlert(t *testing.T) {
	for body, want := range map[string]bool{
		"ÜBUNG Krise Org 3: Massenalarm. Stab bilden. Antwort: 1=komme": true,
		"ÜBUNG/EXERCISE Crisis Org 3: Mass alert. Convene the staff.":   true,
		"ÜBUNG Entwarnung: Massenalarm ist beendet.":                    false,
	} {
		if isAlert(body) != want {
			t.Errorf("isAlert(%q) = %v, want %v", body, !want, want)
		}
	}
}
