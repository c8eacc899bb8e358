package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/kaskade-bcm/kaskade/activation"
	"github.com/kaskade-bcm/kaskade/activation/web"
	"github.com/kaskade-bcm/kaskade/alerting"
	"github.com/kaskade-bcm/kaskade/alerting/proposal"
)

// MaxWarningBody bounds a warning's body: DWD CAP documents with area
// polygons run to tens of kilobytes.
const MaxWarningBody = 512 << 10

func (s *Server) registerProposals(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/intake/cap", s.intake(proposal.SourceCAP))
	mux.HandleFunc("POST /api/v1/intake/alertmanager", s.intake(proposal.SourceAlertmanager))
	mux.HandleFunc("GET /api/v1/proposals", s.listProposals)
	mux.HandleFunc("GET /api/v1/proposals/{id}", s.getProposal)
	mux.HandleFunc("POST /api/v1/proposals/{id}/confirm", s.confirmProposal)
	mux.HandleFunc("POST /api/v1/proposals/{id}/dismiss", s.dismissProposal)
}

// intake receives warnings from a warning system: they become proposals,
// never alerts.
func (s *Server) intake(source string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, ok := s.authenticateIntake(w, r)
		if !ok || !s.warningAllowed(w, p.name) {
			return
		}
		body, ok := s.readBodyMax(w, r, MaxWarningBody)
		if !ok {
			return
		}
		ws, err := alerting.ParseWarnings(source, body)
		if err != nil {
			writeAlertingError(w, err)
			return
		}
		ins := alerting.WarningInputs(s.config(), ws, p.name)
		var fresh []activation.Input
		s.opts.Engine.View(func(c *activation.Core) {
			for _, in := range ins {
				if !c.WarningKnown(in) {
					fresh = append(fresh, in)
				}
			}
		})
		seq, err := s.opts.Intake.SubmitWarnings(r.Context(), fresh)
		if err != nil {
			writeAlertingError(w, err)
			return
		}
		if !s.wait(r.Context(), seq) {
			web.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "input": seq})
			return
		}
		// The intake sees only what it delivered: the proposal ids and their status.
		type outcome struct {
			Proposal string `json:"proposal"`
			Status   string `json:"status"`
		}
		out := []outcome{}
		s.opts.Engine.View(func(c *activation.Core) {
			for _, in := range ins {
				if pv, ok := c.ProposalOf(in); ok {
					out = append(out, outcome{pv.ID, pv.Status})
				}
			}
		})
		web.WriteJSON(w, http.StatusOK, map[string]any{"proposals": out})
	}
}

func (s *Server) proposal(id string) (pv activation.ProposalView, ok bool) {
	s.opts.Engine.View(func(c *activation.Core) { pv, ok = c.Proposal(id) })
	return pv, ok
}

func (s *Server) listProposals(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	var list []activation.ProposalView
	s.opts.Engine.View(func(c *activation.Core) { list = c.Proposals() })
	if status := r.URL.Query().Get("status"); status != "" {
		kept := list[:0]
		for _, p := range list {
			if p.Status == status {
				kept = append(kept, p)
			}
		}
		list = kept
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"proposals": list})
}

func (s *Server) getProposal(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r, false); !ok {
		return
	}
	pv, ok := s.proposal(r.PathValue("id"))
	if !ok {
		writeAlertingError(w, alerting.ProposalError(pv, false, r.PathValue("id")))
		return
	}
	web.WriteJSON(w, http.StatusOK, pv)
}

// confirmProposal declares the incident a duty officer confirms: the
// confirmer is who is logged in, the proposer the warning's source.
func (s *Server) confirmProposal(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	var req alerting.ConfirmRequest
	if !s.decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	pv, found := s.proposal(id)
	if err := alerting.ProposalError(pv, found, id); err != nil {
		writeAlertingError(w, err)
		return
	}
	d, err := req.Declaration(pv, p.name)
	if err != nil {
		writeAlertingError(w, err)
		return
	}
	if pv.Exercise && !d.Exercise {
		web.WriteError(w, http.StatusBadRequest, "exercise_warning", "the warning is an exercise (CAP status Exercise): confirm it as an exercise")
		return
	}
	if !s.mayDeclare(w, p.name, d) {
		return
	}
	res, err := s.opts.Intake.Confirm(r.Context(), pv, d, apiSource(p))
	if err != nil {
		writeAlertingError(w, err)
		return
	}
	s.declared(p.name, d.Exercise)
	if !s.wait(r.Context(), res.InputSeq) {
		web.WriteJSON(w, http.StatusAccepted, map[string]any{"status": "accepted", "input": res.InputSeq, "incident_id": res.IncidentID})
		return
	}
	after, _ := s.proposal(id)
	if after.Incident != res.IncidentID {
		// Another confirmation, a dismissal or the source's cancel came first.
		web.WriteError(w, http.StatusConflict, alerting.CodeProposalClosed, fmt.Sprintf("proposal %s is %s%s", id, after.Status, incidentOf(after)))
		return
	}
	v, _ := s.opts.Engine.Incident(res.IncidentID)
	web.WriteJSON(w, http.StatusCreated, map[string]any{"incident_id": res.IncidentID, "proposal": after, "incident": v})
}

func incidentOf(p activation.ProposalView) string {
	if p.Incident == "" {
		return ""
	}
	return " (incident " + p.Incident + ")"
}

// DismissRequest is the body of POST …/dismiss.
type DismissRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) dismissProposal(w http.ResponseWriter, r *http.Request) {
	p, ok := s.authenticate(w, r, true)
	if !ok {
		return
	}
	var req DismissRequest
	if !s.decode(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		web.WriteError(w, http.StatusBadRequest, alerting.CodeMissingReason, "a dismissal needs a reason: the decision must be recorded (who, when, why)")
		return
	}
	if err := alerting.CheckText("reason", reason, true); err != nil {
		writeAlertingError(w, err)
		return
	}
	pv, found := s.proposal(id)
	if err := alerting.ProposalError(pv, found, id); err != nil {
		writeAlertingError(w, err)
		return
	}
	in := activation.Input{Incident: id, Dismiss: &activation.ProposalDecision{Proposal: id, By: p.name, Reason: reason}}
	s.submitAndReport(w, r, in, func() any { v, _ := s.proposal(id); return v })
}
