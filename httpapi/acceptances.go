package httpapi

import (
	"net/http"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// latestAcceptance is one subject's latest acceptance as GET
// /v1/policy/acceptances answers it: Current tells whether the version
// accepted is the one in force now.
type latestAcceptance struct {
	*policy.LatestAcceptance
	Current bool `json:"current"`
}

// handleAcceptanceCreate records that a subject accepted a version of the
// tenant's policy. With an Idempotency-Key a retry answers the first
// result.
func (s *Server) handleAcceptanceCreate(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	id, err := subjectID(r)
	if err != nil {
		return err
	}
	in, idem, err := decodeIdempotent[policy.AcceptanceInput](w, r, s)
	if err != nil {
		return err
	}
	if err := in.Validate(s.now()); err != nil {
		return err
	}
	var at time.Time
	if in.AcceptedAt != nil {
		at = *in.AcceptedAt
	}
	acc, replayed, err := s.cfg.Acceptances.RecordAcceptance(r.Context(), a, id, *in.Version, at, in.Source, idem)
	if err != nil {
		return err
	}
	markReplay(w, replayed)
	writeJSON(w, http.StatusCreated, acc)
	return nil
}

// handleLatestAcceptances lists, per subject, the version last accepted and
// whether it is the version in force now.
func (s *Server) handleLatestAcceptances(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	v, err := s.cfg.Policy.PolicyInForce(r.Context(), a.TenantID, s.now())
	if err != nil {
		return err
	}
	ls, next, err := s.cfg.Acceptances.LatestAcceptances(r.Context(), a, p)
	if err != nil {
		return err
	}
	out := make([]latestAcceptance, len(ls))
	for i, l := range ls {
		out[i] = latestAcceptance{LatestAcceptance: l, Current: l.Version == v.Version}
	}
	writeJSON(w, http.StatusOK, newList(out, next))
	return nil
}
