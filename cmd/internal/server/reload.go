package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/alerting/httpapi"
	"github.com/kaskade-bcm/kaskade/config"
)

// Who a reload by hang-up signal is recorded as.
const (
	ViaAPI    = "api"
	ViaSignal = "signal"
	bySignal  = "SIGHUP"
)

// CurrentConfig is the configuration in force: the one Start loaded (Config)
// until a reload replaces it.
func (s *Server) CurrentConfig() *config.Config { return s.live.Load() }

// Reload re-reads the configuration file (and its people_file), validates
// it as `kaskade config check` does and puts it in force whole, or refuses
// it whole with an *httpapi.ReloadError and changes nothing. The reload is
// recorded in the event log before it takes effect; running incidents keep
// the plans their declarations recorded.
func (s *Server) Reload(ctx context.Context, by, via string) (httpapi.ReloadResult, error) {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	cfg, warnings, rec, err := s.readNext()
	if err != nil {
		return httpapi.ReloadResult{}, err
	}
	auth, token, err := s.authFor(cfg)
	if err != nil {
		return httpapi.ReloadResult{}, err
	}
	rec.By, rec.Via, rec.Instance = by, via, s.instance
	if _, err := s.Engine.Submit(ctx, activation.Input{Incident: "_", Reload: &rec}, ""); err != nil {
		return httpapi.ReloadResult{}, fmt.Errorf("record the reload: %w", err)
	}
	inUse := s.removedInUse(s.CurrentConfig(), cfg)
	s.putInForce(cfg, auth, token)
	s.Engine.PrepareKeys() // people new to the configuration
	s.log.Info("configuration reloaded", "by", by, "via", via, "sha256", rec.SHA256, "organisations", rec.Organisations,
		"people", rec.People, "scenarios", rec.Scenarios, "tokens", rec.Tokens, "warnings", warnings)
	if inUse > 0 {
		s.log.Warn("people removed from the configuration are in running incidents: their messages fail and deputies take over; record their answers on their behalf",
			"people", inUse)
	}
	return httpapi.ReloadResult{ConfigReloaded: rec, Warnings: warnings, RemovedInUse: inUse}, nil
}

// removedInUse counts the people next leaves out who are in the plan of an
// open incident.
func (s *Server) removedInUse(running, next *config.Config) int {
	var removed []string
	for i := range running.People {
		if _, ok := next.Person(running.People[i].ID); !ok {
			removed = append(removed, running.People[i].ID)
		}
	}
	n := 0
	if len(removed) > 0 {
		s.Engine.View(func(c *activation.Core) {
			for _, id := range removed {
				if len(c.OpenIncidentsOf(id)) > 0 {
					n++
				}
			}
		})
	}
	return n
}

// readNext loads and checks the file against the running configuration and
// describes it for the log (counts and hashes only).
func (s *Server) readNext() (*config.Config, int, activation.ConfigReloaded, error) {
	var rec activation.ConfigReloaded
	name, data := config.Example()
	if s.configPath != "" {
		name = s.configPath
		var err error
		if data, err = os.ReadFile(name); err != nil {
			return nil, 0, rec, refusal(err.Error())
		}
	}
	cfg, probs, err := config.LoadBytes(name, data, os.Getenv)
	if err == nil && probs.Err() == nil && cfg == nil {
		err = errors.New("no configuration")
	}
	switch {
	case err != nil:
		return nil, 0, rec, refusal(err.Error())
	case probs.Err() != nil:
		refused := &httpapi.ReloadError{}
		for _, p := range probs.Errors() {
			refused.Problems = append(refused.Problems, p.String())
			refused.Logged = append(refused.Logged, logSafe(p.String()))
		}
		return nil, 0, rec, refused
	}
	if names := config.RestartOnly(s.CurrentConfig(), cfg); len(names) > 0 {
		return nil, 0, rec, &httpapi.ReloadError{NeedsRestart: names}
	}
	rec.SHA256 = sha256Hex(data)
	if path := cfg.PeopleFilePath(); path != "" {
		people, err := os.ReadFile(path)
		if err != nil { // removed between loading and hashing
			return nil, 0, rec, refusal(err.Error())
		}
		rec.PeopleSHA256 = sha256Hex(people)
	}
	rec.Organisations, rec.People, rec.Scenarios = len(cfg.Organisations), len(cfg.People), len(cfg.Scenarios)
	rec.CallTrees, rec.Tokens = len(cfg.CallTrees), len(cfg.Tokens)
	return cfg, len(probs.Warnings()), rec, nil
}

// putInForce hands cfg to everything that reads the configuration after
// start: each swaps an atomic pointer, so requests in flight finish with
// the configuration they began with.
func (s *Server) putInForce(cfg *config.Config, auth *httpapi.Auth, token string) {
	s.live.Store(cfg)
	s.intake.SetConfig(cfg)
	s.api.SetConfig(cfg)
	s.composer.SetConfig(cfg)
	s.inbound().SetConfig(cfg)
	s.auth.Replace(auth)
	s.tokenHex.Store(token)
}

// hangUp reloads on SIGHUP and logs the outcome: the reasons of a refusal
// (bounded, as at start), or what is now in force.
func (s *Server) hangUp(ctx context.Context) error {
	_, err := s.Reload(ctx, bySignal, ViaSignal)
	var refused *httpapi.ReloadError
	switch {
	case errors.As(err, &refused) && len(refused.NeedsRestart) > 0:
		s.log.Error("configuration not reloaded: restart needed; the running configuration stays", "settings", refused.NeedsRestart)
	case errors.As(err, &refused):
		for i, p := range refused.Logged {
			if i == maxLoggedWarnings {
				s.log.Error("config: more problems not logged; run `kaskade config check`", "total", len(refused.Logged))
				break
			}
			s.log.Error("config", "problem", p)
		}
		s.log.Error("configuration not reloaded: it has errors; the running configuration stays", "errors", len(refused.Problems))
	case err != nil:
		s.log.Error("configuration not reloaded; the running configuration stays", "err", err)
	}
	return err
}

// reloadOnHangUp reloads the configuration on every SIGHUP until ctx ends.
func (s *Server) reloadOnHangUp(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = s.hangUp(ctx)
		}
	}
}

// refusal is a reload refused for one reason.
func refusal(reason string) *httpapi.ReloadError {
	return &httpapi.ReloadError{Problems: []string{reason}, Logged: []string{logSafe(reason)}}
}

// Values a configuration problem may quote, and runs of digits long enough
// to be a phone number: neither belongs in a log line.
var (
	quotedValue = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	digitRun    = regexp.MustCompile(`\+?\d[\d /().-]{4,}\d`)
)

// logSafe keeps a problem's file, line, path and wording but not the
// values it quotes: `people[0].mobile: "…" is not a valid phone number`.
func logSafe(problem string) string {
	file, rest, ok := strings.Cut(problem, ": ")
	if !ok {
		file, rest = "", problem
	} else {
		file += ": "
	}
	return file + digitRun.ReplaceAllString(quotedValue.ReplaceAllString(rest, `"…"`), "…")
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
