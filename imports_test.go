// Package kaskade_test checks the import rules of docs/ARCHITECTURE.md: the
// pure core imports no transport, channels know no call trees, and only cmd/
// wires concrete providers.
package kaskade_test

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/kaskade-bcm/kaskade/"

// imports lists each package of the module with its non-test imports.
func imports(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, args...)...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		pkgs[strings.TrimPrefix(f[0], module)] = f[1:]
	}
	return pkgs
}

func under(pkg, dir string) bool { return pkg == dir || strings.HasPrefix(pkg, dir+"/") }

// channels are the concrete providers; only cmd/ wires them.
var channels = []string{"notifiers/twilio", "notifiers/email", "notifiers/console"}

func TestImportRules(t *testing.T) {
	pkgs := imports(t, "./...")
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for pkg, imps := range pkgs {
		for _, imp := range imps {
			own, inModule := strings.CutPrefix(imp, module)
			if err := rule(pkg, imp, own, inModule); err != "" {
				t.Errorf("%s imports %s: %s", pkg, imp, err)
			}
		}
	}
}

// rule returns why pkg may not import imp ("" when it may).
func rule(pkg, imp, own string, inModule bool) string {
	isChannel := func(p string) bool {
		for _, c := range channels {
			if under(p, c) {
				return true
			}
		}
		return false
	}
	switch {
	case pkg == "activation" && (strings.HasPrefix(imp, "github.com/nats-io/") || strings.HasPrefix(imp, "net/")):
		return "the pure core imports no transport"
	case pkg == "activation" && inModule && own != "config" && own != "notifiers":
		return "the pure core imports only config and notifiers"
	case under(pkg, "config") && inModule:
		return "config is a leaf"
	case under(pkg, "notifiers") && pkg != "notifiers" && inModule && own != "notifiers" && own != "notifiers/gsm7" && !under(own, topChannel(pkg)):
		return "a channel imports only notifiers and its own helpers"
	case !under(pkg, "cmd") && !isChannel(pkg) && inModule && isChannel(own):
		return "only cmd/ wires concrete providers"
	case (under(pkg, "activation") || under(pkg, "alerting") || under(pkg, "notifiers") || under(pkg, "config")) && inModule && under(own, "cmd"):
		return "nothing imports cmd/"
	case under(pkg, "activation") && inModule && under(own, "alerting"):
		return "activation does not import alerting (alerting declares, activation runs)"
	}
	return ""
}

// topChannel is the channel directory a notifiers package belongs to.
func topChannel(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	if len(parts) < 2 {
		return pkg
	}
	return parts[0] + "/" + parts[1]
}

func TestServerBinaryLinksNoTestOrBenchCode(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "./cmd/kaskade").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("only %d dependencies listed", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, module) && (strings.HasSuffix(d, "test") || strings.HasSuffix(d, "/internal/e2e") || strings.Contains(d, "/cmd/kaskade-bench")) || d == "net/http/httptest" {
			t.Errorf("the server binary links %s", d)
		}
	}
}

func TestRuleCatchesViolations(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{"activation", "github.com/nats-io/nats.go"},
		{"activation", module + "activation/engine"},
		{"notifiers/twilio", module + "config"},
		{"activation/answer", module + "notifiers/twilio"},
		{"alerting", module + "cmd/internal/simulate"},
		{"config", module + "notifiers"},
	} {
		own, in := strings.CutPrefix(tc.imp, module)
		if rule(tc.pkg, tc.imp, own, in) == "" {
			t.Errorf("%s importing %s passed the rules", tc.pkg, tc.imp)
		}
	}
	if why := rule("notifiers/twilio/twiliotest", module+"notifiers/twilio", "notifiers/twilio", true); why != "" {
		t.Errorf("a channel's fake importing its channel refused: %s", why)
	}
}
