package alerting

import (
	"testing"

	"github.com/kaskade-bcm/kaskade/activation"
)

// A declaration without id is deduplicated by its bytes only while the
// incident it made is open: sent again after the stand-down, it declares
// a new incident instead of returning the closed one.
func TestSameBytesDeclareAgainOnceTheIncidentIsStoodDown(t *testing.T) {
	in, js, layout := intakeOnNATS(t)
	raw := []byte(`{"scenario":"cyberangriff","organisations":["MI"],"declared_by":"Lagedienst","reason":"Ransomware"}`)
	d, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	declare := func(want string, dup bool) {
		t.Helper()
		res, err := in.handleRaw(t.Context(), layout.DeclareSubject(), raw)
		if err != nil || res.IncidentID != want || res.Duplicate != dup {
			t.Fatalf("declared %+v, %v; want %s (duplicate %v)", res, err, want, dup)
		}
	}
	standDown := func(id string) {
		t.Helper()
		if _, err := js.Publish(t.Context(), layout.EventSubject(id, activation.KindStoodDown), []byte(`{"v":1}`)); err != nil {
			t.Fatal(err)
		}
	}
	declare("K1", false)
	declare("K1", true) // a double click while K1 is open
	standDown("K1")
	declare("K2", false) // the same alarm again, after the stand-down
	declare("K2", true)
	// A client id still names its incident for good.
	d.ID = "siem-4711"
	for _, want := range []string{"K3", "K3"} {
		res, err := in.Declare(t.Context(), d, "api", nil)
		if err != nil || res.IncidentID != want {
			t.Fatalf("declared %+v, %v; want %s", res, err, want)
		}
		standDown(res.IncidentID)
	}
}
