package httpapi

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3.1 document of the HTTP API (API, board, answer
// pages, webhooks); openapi_test.go keeps it true to the registered routes
// and to real responses.
//
//go:embed openapi.json
var OpenAPI []byte

// serveOpenAPI serves the document without auth: it holds no secrets.
func serveOpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(OpenAPI)
}
