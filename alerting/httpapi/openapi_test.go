package httpapi_test

import (
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/notifiers/twilio"
)

// routeSources are the files whose mux.Handle/HandleFunc calls make up the
// served HTTP surface: the API, the board, and the server wiring (ack pages,
// webhooks, metrics), wherever the wiring lives now.
var routeSources = []string{
	"*.go",
	"../../activation/board/*.go",
	"../../cmd/kaskade/*.go",
	"../../cmd/internal/server/*.go",
}

func loadOpenAPI(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(httpapi.OpenAPI)
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is version %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	// Pages and reports are text: checked for their content type only.
	for _, ct := range []string{"text/html", "text/csv", "text/event-stream", "application/xml"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// registeredRoutes reads "METHOD /path" patterns passed as string literals to
// Handle or HandleFunc in the route sources; patterns without a method
// (the /api/v1/ catch-all, pprof on its own listener) are not endpoints.
func registeredRoutes(t *testing.T) map[string]string {
	t.Helper()
	routes := map[string]string{}
	fset := token.NewFileSet()
	for _, glob := range routeSources {
		files, _ := filepath.Glob(glob)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			file, err := parser.ParseFile(fset, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(file, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) == 0 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				pattern, lit := routePattern(t, call.Args[0])
				if lit == nil {
					return true
				}
				method, path, ok := strings.Cut(pattern, " ")
				if ok && strings.ToUpper(method) == method {
					routes[method+" "+docPath(path)] = fset.Position(lit.Pos()).String()
				}
				return true
			})
		}
	}
	return routes
}

// routePattern reads a pattern written as a literal, or as "METHOD " plus a
// path constant of the twilio package (the voice webhooks).
func routePattern(t *testing.T, e ast.Expr) (string, *ast.BasicLit) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind == token.STRING {
			p, _ := strconv.Unquote(x.Value)
			return p, x
		}
	case *ast.BinaryExpr:
		lit, ok := x.X.(*ast.BasicLit)
		sel, isSel := x.Y.(*ast.SelectorExpr)
		if !ok || !isSel || x.Op != token.ADD {
			return "", nil
		}
		method, _ := strconv.Unquote(lit.Value)
		path, known := twilioPaths[sel.Sel.Name]
		if !known {
			t.Errorf("route %s%s: unknown path constant, add it to twilioPaths", method, sel.Sel.Name)
			return "", nil
		}
		return method + path, lit
	}
	return "", nil
}

// twilioPaths are the path constants routes are registered with.
var twilioPaths = map[string]string{
	"VoiceGatherPath": twilio.VoiceGatherPath, "VoiceStatusPath": twilio.VoiceStatusPath, "VoiceCallerPath": twilio.VoiceCallerPath,
	"VoiceConferencePath": twilio.VoiceConferencePath, "VoiceConferenceEventsPath": twilio.VoiceConferenceEventsPath,
	"VoiceAMDPath": twilio.VoiceAMDPath,
}

// docPath turns a ServeMux pattern into an OpenAPI path.
func docPath(pattern string) string {
	switch {
	case pattern == "/{$}":
		return "/"
	case strings.HasSuffix(pattern, "/") && pattern != "/":
		return pattern + "{path}"
	}
	return pattern
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	registered := registeredRoutes(t)
	if len(registered) < 20 {
		t.Fatalf("found only %d routes in the sources; did the files move? %v", len(registered), registered)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for route, at := range registered {
		if !documented[route] {
			t.Errorf("%s (registered at %s) is not in openapi.json", route, at)
		}
	}
	for route := range documented {
		if _, ok := registered[route]; !ok {
			t.Errorf("openapi.json documents %s, which no source registers", route)
		}
	}
}

func TestOpenAPIDocumentsErrorsAndAuth(t *testing.T) {
	doc, _ := loadOpenAPI(t)
	for _, scheme := range []string{"bearer", "session", "twilioSignature"} {
		if doc.Components.SecuritySchemes[scheme] == nil {
			t.Errorf("security scheme %s missing", scheme)
		}
	}
	if doc.Components.SecuritySchemes["bearer"].Value.Scheme != "bearer" {
		t.Error("bearer scheme is not HTTP bearer")
	}
	// Every /api/v1 operation answers errors with the JSON envelope; pages,
	// answer links and webhooks list their own statuses instead.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			def := op.Responses.Default()
			switch {
			case strings.HasPrefix(path, "/api/v1/") && (def == nil || def.Ref != "#/components/responses/Error"):
				t.Errorf("%s %s: errors are not the error envelope", method, path)
			case !strings.HasPrefix(path, "/api/v1/") && op.Responses.Len() < 1:
				t.Errorf("%s %s lists no responses", method, path)
			}
		}
	}
}

// apiCall is one real request through the API and the status it must get.
type apiCall struct {
	name, method, path, token, body string
	status                          int
}

func TestOpenAPIMatchesResponses(t *testing.T) {
	_, router := loadOpenAPI(t)
	s := startAPI(t)
	exercise := s.declare(`{"scenario":"cyberangriff","organisations":["MI"],"exercise":true,"reason":"Übung"}`)
	real := s.declare(`{"scenario":"hochwasser","organisations":["MI","MF"],"reason":"Pegel"}`)
	inc := func(id, rest string) string { return "/api/v1/incidents/" + id + rest }
	calls := []apiCall{
		{"healthz", "GET", "/healthz", "", "", 200},
		{"readyz", "GET", "/readyz", "", "", 200},
		{"openapi without auth", "GET", "/api/v1/openapi.json", "", "", 200},
		{"list", "GET", "/api/v1/incidents", viewerToken, "", 200},
		{"list without token", "GET", "/api/v1/incidents", "", "", 401},
		{"list with wrong token", "GET", "/api/v1/incidents", "wrong-token", "", 401},
		{"declare", "POST", "/api/v1/incidents", dutyToken, `{"id":"oa-1","scenario":"cyberangriff","organisations":["MF"],"exercise":true,"reason":"Übung"}`, 201},
		{"declare again", "POST", "/api/v1/incidents", dutyToken, `{"id":"oa-1","scenario":"cyberangriff","organisations":["MF"],"exercise":true,"reason":"Übung"}`, 200},
		{"declare as viewer", "POST", "/api/v1/incidents", viewerToken, `{"scenario":"cyberangriff","exercise":true,"reason":"x"}`, 403},
		{"declare bad JSON", "POST", "/api/v1/incidents", dutyToken, `{`, 400},
		{"declare unknown scenario", "POST", "/api/v1/incidents", dutyToken, `{"scenario":"nix","exercise":true,"reason":"x"}`, 422},
		{"incident", "GET", inc(real, ""), viewerToken, "", 200},
		{"unknown incident", "GET", inc("K99", ""), viewerToken, "", 404},
		{"readiness", "GET", inc(real, "/readiness"), viewerToken, "", 200},
		{"response", "POST", inc(real, "/responses"), dutyToken, `{"person":"mi-uwe-boehm","kind":"delayed","minutes":30}`, 200},
		{"response unknown person", "POST", inc(real, "/responses"), dutyToken, `{"person":"niemand","kind":"available"}`, 422},
		{"update", "POST", inc(real, "/updates"), dutyToken, `{"text":"Stab tritt um 04:00 zusammen."}`, 200},
		{"convert a real incident", "POST", inc(real, "/convert"), dutyToken, `{"reason":"x"}`, 409},
		{"scenarios", "GET", "/api/v1/scenarios", viewerToken, "", 200},
		{"sms size", "POST", "/api/v1/texts/sms", dutyToken, `{"purpose":"update","incident":"` + real + `","text":"Lage stabil"}`, 200},
		{"report json", "GET", inc(exercise, "/report?format=json"), viewerToken, "", 200},
		{"report html", "GET", inc(exercise, "/report?lang=en"), viewerToken, "", 200},
		{"report bad format", "GET", inc(exercise, "/report?format=pdf"), viewerToken, "", 400},
		{"exercises", "GET", "/api/v1/exercises?format=json", viewerToken, "", 200},
		{"abort exercise", "POST", inc(exercise, "/abort"), dutyToken, `{"reason":"genug"}`, 200},
		{"stand-down", "POST", inc(real, "/stand-down"), adminToken, `{"reason":"Lage beendet"}`, 200},
		{"stand-down twice", "POST", inc(real, "/stand-down"), adminToken, `{"reason":"nochmal"}`, 409},
		{"unknown endpoint", "GET", "/api/v1/nothing", viewerToken, "", 404},
	}
	calls = append(calls, proposalCalls(t)...)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(c.method, c.path, c.token, c.body)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, r.Body)
			}
			checkAgainstDoc(t, router, s.URL, c, r)
		})
	}
}

// checkAgainstDoc validates the request and the response against the
// document; an undocumented path (the catch-all) must be answered with the
// error envelope.
func checkAgainstDoc(t *testing.T, router routers.Router, base string, c apiCall, r response) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasPrefix(c.body, "<"):
		req.Header.Set("Content-Type", "application/xml") // a CAP warning
	case c.body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		wantError(t, r, c.status, "not_found")
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	if c.status < 300 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("request does not match openapi.json: %v", err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true}}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("response does not match openapi.json: %v\n%s", err, truncate(r.Body))
	}
}

func truncate(b []byte) []byte {
	if len(b) > 600 {
		return append(bytes.Clone(b[:600]), "…"...)
	}
	return b
}
