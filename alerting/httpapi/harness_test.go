package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/kaskade-bcm/kaskade/activation/engine"
	"github.com/kaskade-bcm/kaskade/activation/engine/enginetest"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// The tokens the test server knows, one per role. They are long and
// distinctive so a test can tell whether one was echoed anywhere.
const (
	viewerToken = "viewer-token-3b1f0e6c9d2a"
	dutyToken   = "duty-token-7c4d2e9a1f08"
	adminToken  = "admin-token-a91e5d3c7b26"
	intakeToken = "intake-token-5e2c8a1d4f93"
)

// directory is the engine's person directory over the configuration.
type directory struct{ cfg *config.Config }

func (d directory) PersonName(id string) string {
	if p, ok := d.cfg.Person(id); ok {
		return p.Name
	}
	return id
}

func (d directory) MaskedMobile(string) string { return "" }

// fakeSessions stands in for the board's cookie login: a request with the
// cookie "session=<name>:<role>" is logged in; "X-CSRF-Token: ok" passes.
type fakeSessions struct{}

func (fakeSessions) SessionRole(r *http.Request) (string, config.Role, bool) {
	c, err := r.Cookie("session")
	if err != nil {
		return "", "", false
	}
	name, role, ok := strings.Cut(c.Value, ":")
	return name, config.Role(role), ok
}

func (fakeSessions) CheckCSRF(r *http.Request) bool { return r.Header.Get("X-CSRF-Token") == "ok" }

type apiServer struct {
	t      *testing.T
	URL    string
	Config *config.Config
	Engine *engine.Engine
	NC     *nats.Conn
}

// startAPI serves httpapi over loopback with the real dependencies: the
// bundled example configuration, an in-process nats-server with JetStream
// (no listener), a running engine and the intake.
func startAPI(t *testing.T) *apiServer {
	t.Helper()
	return startAPIWith(t, nil)
}

// startAPIWith is startAPI with options changed by mod before the server starts.
func startAPIWith(t *testing.T, mod func(*httpapi.Options)) *apiServer {
	t.Helper()
	name, data := config.Example()
	cfg, _, err := config.LoadBytes(name, data, func(string) string { return "" })
	if err != nil {
		t.Fatalf("example configuration: %v", err)
	}
	nc, js := enginetest.JetStream(t)
	layout := engine.Layout{}
	if err := layout.Ensure(t.Context(), js); err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Options{Layout: layout, JS: js, Directory: directory{cfg}, SnapshotIdle: 1 << 30})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = eng.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-done })
	intake, err := alerting.New(t.Context(), alerting.Options{Config: cfg, JS: js, Layout: layout})
	if err != nil {
		t.Fatal(err)
	}
	auth := httpapi.NewAuth(cfg,
		httpapi.Token{Name: "Lagezentrum Anzeige", Role: config.RoleViewer, SHA256: httpapi.HashToken(viewerToken)},
		httpapi.Token{Name: "Lagedienst Müller", Role: config.RoleDutyOfficer, SHA256: httpapi.HashToken(dutyToken)},
		httpapi.Token{Name: "admin", Role: config.RoleAdmin, SHA256: httpapi.HashToken(adminToken)},
		httpapi.Token{Name: "dwd", Role: config.RoleIntake, SHA256: httpapi.HashToken(intakeToken)},
	)
	mux := http.NewServeMux()
	opts := httpapi.Options{Config: cfg, Intake: intake, Engine: eng, Auth: auth, Sessions: fakeSessions{},
		Healthy: nc.IsConnected}
	if mod != nil {
		mod(&opts)
	}
	httpapi.New(opts).Register(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	// Waiting for the engine to take the lead is start-up, not an assertion.
	for deadline := time.Now().Add(15 * time.Second); !eng.Ready() || !eng.Leader(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("engine did not become ready")
		}
	}
	return &apiServer{t: t, URL: hs.URL, Config: cfg, Engine: eng, NC: nc}
}

type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends a request. auth is a token (sent as a bearer token), "" for no
// Authorization header, or "raw:<header value>".
func (s *apiServer) do(method, path, auth, body string, header ...string) response {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if raw, ok := strings.CutPrefix(auth, "raw:"); ok {
		req.Header.Set("Authorization", raw)
	} else if auth != "" {
		req.Header.Set("Authorization", "Bearer "+auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// declare declares an incident as the duty officer and returns its id.
func (s *apiServer) declare(body string) string {
	s.t.Helper()
	r := s.do("POST", "/api/v1/incidents", dutyToken, body)
	if r.Status != http.StatusCreated {
		s.t.Fatalf("declare %s: %d %s", body, r.Status, r.Body)
	}
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	mustJSON(s.t, r, &out)
	return out.IncidentID
}

func mustJSON(t *testing.T, r response, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %s", ct, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("body is not the expected JSON: %v\n%s", err, r.Body)
	}
}

// wantError asserts the status and the error shape {"error": {"code", "message"}}
// with exactly these keys, the code given and a non-empty message.
func wantError(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	var shape struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON; body %s", ct, r.Body)
	}
	if err := dec.Decode(&shape); err != nil || shape.Error == nil {
		t.Fatalf("error body is not {\"error\": {\"code\", \"message\"}}: %v\n%s", err, r.Body)
	}
	if shape.Error.Code != code || strings.TrimSpace(shape.Error.Message) == "" {
		t.Fatalf("error %+v, want code %q and a message", *shape.Error, code)
	}
	for _, tok := range []string{viewerToken, dutyToken, adminToken, intakeToken} {
		if bytes.Contains(r.Body, []byte(tok)) {
			t.Fatalf("error body echoes a token: %s", r.Body)
		}
	}
}
