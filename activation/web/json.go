// Package web holds what every HTTP surface of Kaskade (board, API, ack
// pages) answers alike: JSON bodies and the error envelope
// {"error":{"code":…,"message":…}} of the external contract.
package web

import (
	"encoding/json"
	"io"
	"net/http"
)

// ErrorBody is the error envelope's inner object.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteJSON answers status with v as indented JSON, never cached or sniffed.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = EncodeJSON(w, v)
}

// EncodeJSON writes v as indented JSON (also for files the CLI saves).
func EncodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteError answers status with the error envelope.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]ErrorBody{"error": {Code: code, Message: msg}})
}
