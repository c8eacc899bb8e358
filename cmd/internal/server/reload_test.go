package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// lockedBuffer collects a server's log lines from its goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// reloadHarness is a server started from a copy of the bundled example.
type reloadHarness struct {
	t    *testing.T
	s    *Server
	path string
	log  *lockedBuffer
}

func startReloadable(t *testing.T) *reloadHarness {
	t.Helper()
	_, data := config.Example()
	path := filepath.Join(t.TempDir(), "kaskade.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	buf := &lockedBuffer{}
	s, err := Start(t.Context(), Options{ConfigPath: path, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "off",
		Logger: slog.New(slog.NewTextHandler(buf, nil)), Instance: "test-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	h := &reloadHarness{t: t, s: s, path: path, log: buf}
	h.until(s.Engine.Ready)
	return h
}

// write replaces the configuration file with the example changed by edits
// (pairs of old and new text, each old text present).
func (h *reloadHarness) write(edits ...string) []byte {
	h.t.Helper()
	_, data := config.Example()
	text := string(data)
	for i := 0; i+1 < len(edits); i += 2 {
		if !strings.Contains(text, edits[i]) {
			h.t.Fatalf("the example has no %q", edits[i])
		}
		text = strings.Replace(text, edits[i], edits[i+1], 1)
	}
	if err := os.WriteFile(h.path, []byte(text), 0o600); err != nil {
		h.t.Fatal(err)
	}
	return []byte(text)
}

func (h *reloadHarness) do(method, path, token, body string) (int, []byte) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.s.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (h *reloadHarness) declare(token string) string {
	h.t.Helper()
	status, body := h.do("POST", "/api/v1/incidents", token, `{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Reload-Test"}`)
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	if err := json.Unmarshal(body, &out); status != http.StatusCreated || err != nil {
		h.t.Fatalf("declare: %d %s", status, body)
	}
	return out.IncidentID
}

// events waits until the incident's events (or the reloads, incident "_")
// satisfy ok and returns them; the context bounds only a hang.
func (h *reloadHarness) events(incident string, ok func([]activation.Event) bool) []activation.Event {
	h.t.Helper()
	var evs []activation.Event
	h.until(func() bool {
		all, err := h.s.Engine.Events(h.t.Context(), "")
		if err != nil {
			return false
		}
		evs = evs[:0]
		for _, e := range all {
			if e.Incident == incident {
				evs = append(evs, e)
			}
		}
		return ok(evs)
	})
	return evs
}

func (h *reloadHarness) until(cond func() bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			h.t.Fatal("condition not reached")
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func reloads(evs []activation.Event) []activation.ConfigReloaded {
	var out []activation.ConfigReloaded
	for _, e := range evs {
		if e.Kind == activation.KindConfigReloaded {
			out = append(out, *e.Reload)
		}
	}
	return out
}

// TestReloadRefusesABadFileWhole: an invalid file, or one changing what
// needs a restart, changes nothing (configuration, tokens, log) and the
// answer (HTTP) or the log (SIGHUP) says why.
func TestReloadRefusesABadFileWhole(t *testing.T) {
	h := startReloadable(t)
	running, admin := h.s.CurrentConfig(), h.s.AdminToken()
	for _, tc := range []struct {
		name   string
		edits  []string
		status int
		says   string // the HTTP answer says it
		logged string // the SIGHUP log says it, and not the value in says ("" : says)
	}{
		{"unknown key", []string{"version: 1\n", "version: 1\nunknown_key: 1\n"}, http.StatusUnprocessableEntity, "unknown_key", ""},
		{"unknown person in a tree", []string{"person: mi-uwe-boehm", "person: mi-niemand"}, http.StatusUnprocessableEntity,
			"mi-niemand", `nodes[0].person: unknown person \"…\"`},
		{"bad mobile", []string{"mobile: +49 151 0000 1001", "mobile: +49 151 0000 1001 99999"}, http.StatusUnprocessableEntity,
			"+49 151 0000 1001 99999", `people[0].mobile: \"…\" is not a valid phone number`},
		{"public url", []string{"server:\n", "server:\n  public_url: https://kaskade.example.de\n"}, http.StatusConflict, "server.public_url", ""},
		{"twilio", []string{"channels:\n", "channels:\n  twilio:\n    account_sid: AC00000000000000000000000000000000\n    auth_token: geheim\n    from: \"+4915100009999\"\n"},
			http.StatusConflict, "channels.twilio", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.write(tc.edits...)
			status, body := h.do("POST", "/api/v1/config/reload", admin, "")
			if status != tc.status || !strings.Contains(string(body), tc.says) || !strings.Contains(string(body), `"error"`) {
				t.Fatalf("HTTP reload: %d %s; want %d naming %q", status, body, tc.status, tc.says)
			}
			var refused *httpapi.ReloadError
			if err := h.s.hangUp(t.Context()); !errors.As(err, &refused) {
				t.Fatalf("SIGHUP reload: %v, want a refusal", err)
			}
			logged := h.log.String()
			if tc.logged != "" {
				if strings.Contains(logged, tc.says) || strings.Contains(logged, "1001") {
					t.Fatalf("the SIGHUP log quotes the value %q:\n%s", tc.says, logged)
				}
				tc.says = tc.logged
			}
			if !strings.Contains(logged, tc.says) || !strings.Contains(logged, "configuration not reloaded") {
				t.Fatalf("the log does not say why the SIGHUP reload was refused (%s):\n%s", tc.says, logged)
			}
			if h.s.CurrentConfig() != running || h.s.AdminToken() != admin {
				t.Fatal("a refused reload changed the configuration in force")
			}
			if strings.Contains(string(body), "geheim") || strings.Contains(h.log.String(), "geheim") {
				t.Fatal("a secret of the refused file was shown")
			}
		})
	}
	if status, body := h.do("GET", "/api/v1/scenarios", admin, ""); status != http.StatusOK {
		t.Fatalf("the admin token no longer works after refusals: %d %s", status, body)
	}
	all, err := h.s.Engine.Events(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if r := reloads(all); len(r) != 0 {
		t.Fatalf("refused reloads were recorded: %+v", r)
	}
}

const (
	dutyToken  = "reload-duty-token-5e1c"
	adminToken = "reload-admin-token-9a3f"
)

// TestReloadTakesEffectForNewDeclarations: after a good reload a new
// declaration uses the new call tree, a running incident goes on with the
// plan it was declared with, configured tokens replace the generated one,
// only an admin may reload, and each reload is recorded with who, the
// file's hash and counts.
func TestReloadTakesEffectForNewDeclarations(t *testing.T) {
	h := startReloadable(t)
	generated := h.s.AdminToken()
	before := h.declare(generated)
	h.events(before, func(evs []activation.Event) bool { return len(tierAlerts(evs, "lead")) == 1 })

	// The lead of MI and the deputy swap places; two tokens are configured.
	tokens := "tokens:\n  - {name: lagedienst, role: duty_officer, sha256: " + httpapi.HashToken(dutyToken) + "}\n" +
		"  - {name: betrieb, role: admin, sha256: " + httpapi.HashToken(adminToken) + "}\n\nfunctions:"
	data := h.write("person: mi-uwe-boehm\n        policy: leads\n        deputies: [mi-silke-oltmanns]",
		"person: mi-silke-oltmanns\n        policy: leads\n        deputies: [mi-uwe-boehm]", "\nfunctions:", "\n"+tokens)
	status, body := h.do("POST", "/api/v1/config/reload", generated, "")
	if status != http.StatusOK {
		t.Fatalf("reload: %d %s", status, body)
	}
	var res httpapi.ReloadResult
	if err := json.Unmarshal(body, &res); err != nil || res.By != "admin" || res.Via != ViaAPI || res.SHA256 != sha256Hex(data) ||
		res.Organisations != 11 || res.Tokens != 2 || res.People != len(h.s.Config.People) {
		t.Fatalf("reload answer %s (%v)", body, err)
	}

	if status, _ := h.do("GET", "/api/v1/scenarios", generated, ""); status != http.StatusUnauthorized {
		t.Errorf("the generated admin token still works with tokens configured: %d", status)
	}
	if status, body := h.do("POST", "/api/v1/config/reload", dutyToken, ""); status != http.StatusForbidden {
		t.Errorf("a duty officer reloaded: %d %s", status, body)
	}
	after := h.declare(dutyToken)
	if got := tierAlerts(h.events(after, func(evs []activation.Event) bool { return len(tierAlerts(evs, "lead")) == 1 }), "lead"); got[0].Person != "mi-silke-oltmanns" {
		t.Errorf("a declaration after the reload alerted %+v first, want the new lead", got)
	}
	// The running incident keeps its plan: its lead says no, and the deputy
	// of the old tree is alerted.
	if status, body := h.do("POST", "/api/v1/incidents/"+before+"/responses", dutyToken, `{"person":"mi-uwe-boehm","kind":"unavailable"}`); status != http.StatusOK {
		t.Fatalf("response: %d %s", status, body)
	}
	got := tierAlerts(h.events(before, func(evs []activation.Event) bool { return len(tierAlerts(evs, "lead")) == 2 }), "lead")
	if got[0].Person != "mi-uwe-boehm" || got[1].Person != "mi-silke-oltmanns" || got[1].Tier != 1 {
		t.Errorf("the running incident's lead alerts %+v, want its declared tree", got)
	}

	// SIGHUP reloads too, recorded as such; the file is unchanged since.
	if err := h.s.hangUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	recs := reloads(h.events("_", func(evs []activation.Event) bool { return len(reloads(evs)) == 2 }))
	want := []activation.ConfigReloaded{res.ConfigReloaded, res.ConfigReloaded}
	want[1].By, want[1].Via = "SIGHUP", ViaSignal
	for i := range want {
		if recs[i] != want[i] || recs[i].Instance != "test-1" {
			t.Errorf("reload %d recorded as %+v, want %+v", i, recs[i], want[i])
		}
	}
	if status, _ := h.do("GET", "/api/v1/scenarios", adminToken, ""); status != http.StatusOK {
		t.Errorf("the configured admin token does not work: %d", status)
	}

	// Removing a person who is in both running plans is allowed, and said.
	h.write("person: mi-uwe-boehm\n        policy: leads\n        deputies: [mi-silke-oltmanns]",
		"person: mi-silke-oltmanns\n        policy: leads\n        deputies: [mi-uwe-boehm]", "\nfunctions:", "\n"+tokens,
		"deputies: [mi-frauke-warnecke, mi-merle-krueger]", "deputies: [mi-frauke-warnecke]",
		"  - id: mi-merle-krueger\n    name: Merle Krüger\n    organisation: MI\n    mobile: 0151 00001020\n    email: merle.krueger@mi.niedersachsen.example\n    functions: [it]\n", "")
	res, err := h.s.Reload(t.Context(), "betrieb", ViaAPI)
	if err != nil || res.RemovedInUse != 1 || res.People != len(h.s.Config.People)-1 {
		t.Fatalf("reload without a person of the running plans: %+v %v", res, err)
	}
	if !strings.Contains(h.log.String(), "in running incidents") || strings.Contains(h.log.String(), "merle") {
		t.Error("the log does not warn of the removed person in running plans, or names them")
	}
}

// tierAlerts are the alerts of a function's node, in log order.
func tierAlerts(evs []activation.Event, function string) []activation.TierAlerted {
	var out []activation.TierAlerted
	plans := map[string]activation.Plan{}
	for _, e := range evs {
		switch {
		case e.Activation != nil:
			plans[e.Activation.Org] = *e.Activation
		case e.Tier != nil:
			if p, ok := plans[e.Tier.Org]; ok && e.Tier.Node < len(p.Nodes) && p.Nodes[e.Tier.Node].Function == function {
				out = append(out, *e.Tier)
			}
		}
	}
	return out
}

// TestReloadWhileServing swaps the configuration while requests read it
// (scenarios, SMS sizes, declarations, the board's names); run with -race.
func TestReloadWhileServing(t *testing.T) {
	h := startReloadable(t)
	admin := h.s.AdminToken()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h.do("GET", "/api/v1/scenarios", admin, "")
			h.do("POST", "/api/v1/texts/sms", admin, `{"purpose":"alert","scenario":"cyberangriff","title":"T","message":"x"}`)
			if i%5 == 0 && i/5 < 40 { // under the token's exercise budget (60 at once)
				h.declare(admin)
			}
			directory{h.s.CurrentConfig}.PersonName("mi-uwe-boehm")
		}
	})
	for i := range 10 {
		target := []string{"target: 30m\n  - id: MF", "target: 30m\n  - id: MF"}
		if i%2 == 1 {
			target[1] = "target: 45m\n  - id: MF"
		}
		h.write(target...)
		if _, err := h.s.Reload(t.Context(), "test", ViaAPI); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	recs := reloads(h.events("_", func(evs []activation.Event) bool { return len(reloads(evs)) == 10 }))
	if recs[0].SHA256 == recs[1].SHA256 || recs[0].SHA256 != recs[2].SHA256 {
		t.Errorf("the recorded hashes do not follow the file: %v %v %v", recs[0].SHA256, recs[1].SHA256, recs[2].SHA256)
	}
}

// TestLogSafeDropsValues: what a problem quotes, and phone-number-like
// digit runs, never reach a log line; file, line, path and wording do.
func TestLogSafeDropsValues(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`k.yaml:204: people[0].mobile: "+49 151 0000 1001 99999" is not a valid phone number`,
			`k.yaml:204: people[0].mobile: "…" is not a valid phone number`},
		{`k.yaml:9: people[3].phone: +4951112069 is also the phone of stk-anna-meyer; calls in could not be told apart`,
			`k.yaml:9: people[3].phone: … is also the phone of stk-anna-meyer; calls in could not be told apart`},
		{`k.yaml:12: x: unknown person "mi-\"q\"-niemand"`, `k.yaml:12: x: unknown person "…"`},
		{`open /etc/kaskade/kaskade.yaml: permission denied`, `open /etc/kaskade/kaskade.yaml: permission denied`},
	} {
		if got := logSafe(tc.in); got != tc.want {
			t.Errorf("logSafe(%q)\n = %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
