package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
)

// Behind a reverse proxy with Basic auth the browser resends
// "Authorization: Basic …" with every board request. The board ignored it
// but the API took it for a wrong bearer token: every write from the board
// failed with 401 and the proxy's address was soon locked out (429).
func TestOtherAuthorizationSchemeLeavesItToTheSession(t *testing.T) {
	s := startAPIWith(t, func(o *httpapi.Options) { o.WrongTokens = httpapi.Rate{Burst: 2, Every: 1 << 62} })
	id := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	const basic = "raw:Basic dXNlcjpwYXNz"
	for range 4 { // more than the wrong-token burst
		r := s.do("POST", "/api/v1/incidents/"+id+"/updates", basic, `{"text":"Lagemeldung"}`,
			"Cookie", "session=Lagedienst Schulz:duty_officer", "X-CSRF-Token", "ok")
		if r.Status != http.StatusOK {
			t.Fatalf("board write behind Basic auth: %d %s", r.Status, r.Body)
		}
		// Without a session it is plainly unauthenticated, never locked out.
		wantError(t, s.do("GET", "/api/v1/incidents", basic, ""), http.StatusUnauthorized, "unauthorized")
	}
	// A wrong bearer token beside a session is still refused and counted.
	wantError(t, s.do("GET", "/api/v1/incidents", "wrong-bearer", "", "Cookie", "session=Wand:viewer"), http.StatusUnauthorized, "unauthorized")
}
