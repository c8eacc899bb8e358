package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

// apiCall calls the server's HTTP API with the admin token.
func apiCall(ctx context.Context, s *server.Server, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.URL+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+s.AdminToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return resp.StatusCode, json.Unmarshal(data, out)
	}
	return resp.StatusCode, nil
}

func declare(ctx context.Context, s *server.Server, scenario, id string) (string, error) {
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	_, err := apiCall(ctx, s, http.MethodPost, "/api/v1/incidents", map[string]any{
		"id": id, "scenario": scenario, "exercise": true, "reason": "kaskade bench", "declared_by": "bench",
	}, &out)
	return out.IncidentID, err
}
