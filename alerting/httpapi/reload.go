package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// Reloader re-reads the configuration file and puts it in force (the
// server wiring implements it); by names who asked. A refusal that changed
// nothing is a *ReloadError.
type Reloader func(ctx context.Context, by string) (ReloadResult, error)

// ReloadResult is what a reload recorded, plus the count of warnings.
type ReloadResult struct {
	activation.ConfigReloaded
	Warnings int `json:"warnings"`
	// RemovedInUse counts people the new configuration leaves out who are
	// in the plan of a running incident: messages to them fail (their
	// deputies take over) and their SMS answers are not attributed.
	RemovedInUse int `json:"removed_in_use,omitempty"`
}

// ReloadError is a refused reload: the running configuration stays whole.
type ReloadError struct {
	// NeedsRestart names the settings that differ and take effect only at
	// a start; Problems are the validation errors (file, line, path).
	NeedsRestart []string
	Problems     []string
	// Logged are the Problems as a log line may show them: where and what,
	// without the values they quote (a phone number, a name).
	Logged []string
}

// maxReasons bounds the reasons a refusal lists; `kaskade config check` shows all.
const maxReasons = 50

func (e *ReloadError) Error() string {
	if len(e.NeedsRestart) > 0 {
		return "Konfiguration nicht geladen, Neustart nötig für / configuration not reloaded, restart needed for: " +
			strings.Join(e.NeedsRestart, ", ")
	}
	reasons := e.Problems
	more := ""
	if len(reasons) > maxReasons {
		more = fmt.Sprintf("\n… %d weitere / more (kaskade config check)", len(reasons)-maxReasons)
		reasons = reasons[:maxReasons]
	}
	return "Konfiguration ungültig, die laufende bleibt in Kraft / configuration invalid, the running one stays in force:\n" +
		strings.Join(reasons, "\n") + more
}

// reloadConfig serves POST /api/v1/config/reload to admins only.
func (s *Server) reloadConfig(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	if p.role != config.RoleAdmin {
		web.WriteError(w, http.StatusForbidden, "forbidden", "nur ein Admin darf die Konfiguration neu laden / only an admin may reload the configuration")
		return
	}
	if s.opts.Reload == nil {
		web.WriteError(w, http.StatusNotImplemented, "not_implemented", "this server cannot reload its configuration")
		return
	}
	res, err := s.opts.Reload(r.Context(), p.name)
	var refused *ReloadError
	switch {
	case errors.As(err, &refused) && len(refused.NeedsRestart) > 0:
		web.WriteError(w, http.StatusConflict, "needs_restart", refused.Error())
		return
	case errors.As(err, &refused):
		web.WriteError(w, http.StatusUnprocessableEntity, "invalid_config", refused.Error())
		return
	case err != nil:
		s.opts.Logger.Error("configuration reload failed", "by", p.name, "err", err)
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable",
			"Konfiguration nicht geladen, die laufende bleibt / configuration not reloaded, the running one stays: "+err.Error())
		return
	}
	web.WriteJSON(w, http.StatusOK, res)
}
