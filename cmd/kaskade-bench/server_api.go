package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/kaskade-bcm/kaskade/cmd/internal/server"
)

// apiCall calls the server's HTTP API with the admin token.
func apiCall(ctx context.Context, s *server.Server, method, path string, body any, out any) (int, error) {
	return apiAs(ctx, s, s.AdminToken(), method, path, body, out)
}

// apiAs calls the server's HTTP API with a bearer token.
func apiAs(ctx context.Context, s *server.Server, token, method, path string, body any, out any) (int, error) {
	return apiAt(ctx, s.URL, token, method, path, body, out)
}

// apiAt calls the HTTP API at base (a server in another process) with a bearer token.
func apiAt(ctx context.Context, base, token, method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
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
	return declareAs(ctx, s, s.AdminToken(), map[string]any{"id": id, "scenario": scenario, "exercise": true})
}

// declareAs declares with a token; d holds the declaration's fields
// (reason and declared_by are added).
func declareAs(ctx context.Context, s *server.Server, token string, d map[string]any) (string, error) {
	var out struct {
		IncidentID string `json:"incident_id"`
	}
	d["reason"], d["declared_by"] = "kaskade bench", "bench"
	_, err := apiAs(ctx, s, token, http.MethodPost, "/api/v1/incidents", d, &out)
	return out.IncidentID, err
}

// startPhaseServer writes bc (its PublicURL filled in) into dir/bench.yaml
// and starts a server on it, its data in dir/data; it returns once the
// engine leads.
func (b *bench) startPhaseServer(ctx context.Context, dir, instance string, bc benchConfig) (*server.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		ln.Close()
		return nil, err
	}
	bc.PublicURL = "http://" + ln.Addr().String()
	cfgPath := filepath.Join(dir, "bench.yaml")
	if err := bc.write(cfgPath); err != nil {
		ln.Close()
		return nil, err
	}
	s, err := server.Start(ctx, server.Options{ConfigPath: cfgPath, DataDir: filepath.Join(dir, "data"), Listener: ln,
		NATSListen: "off", Instance: instance, Logger: b.log})
	if err != nil {
		return nil, err
	}
	if err := waitUntil(ctx, 60*time.Second, func() bool { return s.Engine.Ready() && s.Engine.Leader() }); err != nil {
		s.Close()
		return nil, fmt.Errorf("%s: engine did not start: %w", instance, err)
	}
	return s, nil
}
