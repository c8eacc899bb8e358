package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/config"
)

// EraseRequest is the body of POST /api/v1/people/{id}/erase.
type EraseRequest struct {
	Reason string `json:"reason"`
}

// EraseResult says what an erasure removed.
type EraseResult struct {
	Person string    `json:"person"`
	At     time.Time `json:"erased_at"`
	// Sealed is false when nothing of the person was sealed in the log
	// (events written before sealing stay as they are; docs/PRIVACY.md).
	Sealed bool `json:"sealed"`
	// Removed counts entries removed from other stores (inbound_seen, outbox).
	Removed map[string]int `json:"removed"`
	// Remaining says what the operator still has to do.
	Remaining []string `json:"remaining"`
}

// ErasePersonData removes the person's entries from stores beside the log
// (the outbox); needles are the person's id, name, number and address.
type ErasePersonData func(ctx context.Context, person string, needles []string) (map[string]int, error)

// personErase serves POST /api/v1/people/{id}/erase to admins only: the
// engine shreds the person's key and records who and why, then the other
// stores are cleaned.
func (s *Server) personErase(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	if p.role != config.RoleAdmin {
		web.WriteError(w, http.StatusForbidden, "forbidden", "only an admin may erase a person's data")
		return
	}
	var req EraseRequest
	if !s.decode(w, r, &req) {
		return
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if req.Reason == "" {
		web.WriteError(w, http.StatusBadRequest, "missing_reason", "an erasure needs a reason (e.g. the request's file number)")
		return
	}
	id := r.PathValue("id")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	// A mistyped id would still drop every snapshot and rebuild: a person
	// neither configured nor with a key in the log is refused.
	if _, configured := s.opts.Config.Person(id); !configured {
		known, err := s.opts.Engine.PersonKnown(ctx, id)
		if err != nil {
			web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
			return
		}
		if !known {
			web.WriteError(w, http.StatusNotFound, "unknown_person",
				"Person unbekannt: weder konfiguriert noch im Ereignisprotokoll / unknown person: neither configured nor in the event log")
			return
		}
	}
	ref, err := s.opts.Engine.ErasePerson(ctx, id, p.name, req.Reason)
	if err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	needles := []string{id}
	if cp, ok := s.opts.Config.Person(id); ok {
		needles = append(needles, cp.Name, cp.Mobile, cp.Phone, cp.Email)
	}
	res := EraseResult{Person: id, At: s.opts.Now().UTC(), Sealed: ref != "", Removed: map[string]int{},
		Remaining: []string{"remove the person from the configuration file", "server logs (person ids, masked numbers)",
			"declarations as published (stream KASKADE_DECLARE, 30 days) if the person declared"}}
	if res.Removed["inbound_seen"], err = s.opts.Engine.ForgetInboundSeen(ctx, needles); err != nil {
		web.WriteError(w, http.StatusServiceUnavailable, "unavailable", err.Error())
		return
	}
	if s.opts.EraseData != nil {
		more, err := s.opts.EraseData(ctx, id, needles)
		if err != nil {
			web.WriteError(w, http.StatusInternalServerError, "erase_failed", err.Error())
			return
		}
		for k, v := range more {
			res.Removed[k] = v
		}
	}
	// Logged by token name; the person id is not logged (it would outlive the erasure).
	s.opts.Logger.Info("person erased", "by", p.name, "sealed", res.Sealed)
	web.WriteJSON(w, http.StatusOK, res)
}
