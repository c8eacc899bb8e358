package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// client talks to a running server's API.
type client struct {
	base  string
	token string
	http  *http.Client
}

func clientFlags(fs *flag.FlagSet) func() (*client, error) {
	server := fs.String("server", envOr("KASKADE_SERVER", "http://127.0.0.1:8080"), "Kaskade server URL")
	token := fs.String("token", os.Getenv("KASKADE_TOKEN"), "the API token itself, not a file name (default: $KASKADE_TOKEN, else the token in --data's admin.token)")
	data := fs.String("data", "./kaskade-data", "the server's data directory: without --token, the token is read from its admin.token")
	return func() (*client, error) {
		t := *token
		if t == "" {
			b, err := os.ReadFile(filepath.Join(*data, "admin.token"))
			if err != nil {
				// serve writes admin.token only when the configuration names no token.
				return nil, fmt.Errorf("kein Token / no token: pass --token or set KASKADE_TOKEN; %s is written by serve only when the configuration has no tokens (%w)",
					filepath.Join(*data, "admin.token"), err)
			}
			t = strings.TrimSpace(string(b))
		}
		return &client{base: strings.TrimRight(*server, "/"), token: t, http: &http.Client{Timeout: 15 * time.Second}}, nil
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// apiError is the server's {"error": {...}}.
type apiError struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code) }

func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	data, err := c.send(ctx, method, path, body)
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// raw fetches a path and returns the body as is (reports).
func (c *client) raw(ctx context.Context, path string) ([]byte, error) {
	return c.send(ctx, "GET", path, nil)
}

// send makes one authenticated request and turns error answers into *apiError.
func (c *client) send(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("server not reachable (is `kaskade serve` running?): %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error apiError `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Code != "" {
			e.Error.Status = resp.StatusCode
			return nil, &e.Error
		}
		return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return data, nil
}

var errNeedIncident = usageError{"--incident is required"}

func parse(fs *flag.FlagSet, args []string) error {
	// Allow flags after positional arguments (kaskade respond … available --incident K1).
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if f := fs.Lookup(name); f != nil && !strings.Contains(a, "=") {
				if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !bf.IsBoolFlag() {
					if i+1 < len(args) {
						flags = append(flags, args[i+1])
						i++
					}
				}
			}
			continue
		}
		pos = append(pos, a)
	}
	if err := fs.Parse(append(flags, pos...)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return usageError{"see the flags above"}
		}
		return usageError{err.Error()}
	}
	return nil
}
