package engine

import (
	"testing"
	"time"
)

// A snapshot is taken once SnapshotBytes of events were appended, long
// before SnapshotEvery events; below that many bytes none is.
func TestSnapshotAfterBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bytes int
		want  bool
	}{
		{"bytes reached", 1, true},
		{"bytes not reached", 0, false}, // the default, far above one declaration
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := embeddedJS(t)
			e, _ := startEngineOpts(t, Options{JS: js, SnapshotEvery: 1 << 30, SnapshotIdle: 1 << 30, SnapshotBytes: tc.bytes})
			submit(t, e, declareInput("K1", 20))
			submit(t, e, respond("K1", "p1")) // a decision after the declaration's looks at the bytes
			if !tc.want {
				time.Sleep(300 * time.Millisecond) // an upload would have landed
			}
			deadline := time.Now().Add(5 * time.Second)
			for e.snap.stored.Load() == 0 && tc.want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if got := e.snap.stored.Load() > 0; got != tc.want {
				t.Errorf("snapshot stored %v, want %v", got, tc.want)
			}
		})
	}
}
