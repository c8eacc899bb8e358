//go:build ignore

// extract copies from Twilio's OpenAPI description (twilio-oai,
// twilio_api_v2010.json, MIT) the Messages and Calls resources and every
// schema they reference, without the descriptions of schemas and parameters, into
// twilio_api_v2010_subset.json for the contract test. Run from the repository root:
//
//	go run notifiers/twilio/testdata/extract.go ../shared/twilio-oai/twilio_api_v2010.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// paths are the resources kept: Messages (the SMS channel) and Calls (voice).
var paths = []string{
	"/2010-04-01/Accounts/{AccountSid}/Messages.json",
	"/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
	"/2010-04-01/Accounts/{AccountSid}/Calls.json",
	"/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json",
}

const out = "notifiers/twilio/testdata/twilio_api_v2010_subset.json"

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run notifiers/twilio/testdata/extract.go PATH/twilio_api_v2010.json")
		os.Exit(2)
	}
	if err := extract(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "extract:", err)
		os.Exit(1)
	}
}

func extract(src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	all := doc["paths"].(map[string]any)
	comps := doc["components"].(map[string]any)
	schemas := comps["schemas"].(map[string]any)
	kept := map[string]any{}
	for _, p := range paths {
		item, ok := all[p]
		if !ok {
			return fmt.Errorf("%s: no path %s", src, p)
		}
		kept[p] = item
	}
	// Follow $refs to schemas until no new one turns up.
	used := map[string]any{}
	queue := []any{kept}
	for len(queue) > 0 {
		v := queue[0]
		queue = queue[1:]
		for _, ref := range refs(v) {
			name, ok := strings.CutPrefix(ref, "#/components/schemas/")
			if !ok {
				return fmt.Errorf("unsupported $ref %s", ref)
			}
			if _, done := used[name]; done {
				continue
			}
			s, ok := schemas[name]
			if !ok {
				return fmt.Errorf("missing schema %s", name)
			}
			used[name] = s
			queue = append(queue, s)
		}
	}
	dropDescriptions(kept)
	dropDescriptions(used)
	info := doc["info"].(map[string]any)
	info["description"] = fmt.Sprintf("Subset of twilio_api_v2010.json (twilio-oai, MIT, see LICENSE): the paths %s and the schemas they reference; descriptions of schemas and parameters dropped.", strings.Join(paths, ", "))
	sub := map[string]any{
		"openapi":    doc["openapi"],
		"info":       info,
		"servers":    doc["servers"],
		"security":   doc["security"],
		"paths":      kept,
		"components": map[string]any{"securitySchemes": comps["securitySchemes"], "schemas": used},
	}
	b, err := json.MarshalIndent(sub, "", " ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.FromSlash(out), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %d paths, %d schemas, %d bytes\n", out, len(kept), len(used), len(b)+1)
	return nil
}

// dropDescriptions removes the prose of schemas and parameters (most of the
// size; validation ignores it). Responses keep theirs: OpenAPI requires it.
func dropDescriptions(v any) {
	switch x := v.(type) {
	case map[string]any:
		_, schema := x["type"]
		_, param := x["in"]
		for k, e := range x {
			if _, ok := e.(string); ok && k == "description" && (schema || param) {
				delete(x, k)
				continue
			}
			dropDescriptions(e)
		}
	case []any:
		for _, e := range x {
			dropDescriptions(e)
		}
	}
}

// refs returns every "$ref" value inside v.
func refs(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if s, ok := e.(string); ok && k == "$ref" {
				out = append(out, s)
				continue
			}
			out = append(out, refs(e)...)
		}
	case []any:
		for _, e := range x {
			out = append(out, refs(e)...)
		}
	}
	return out
}
