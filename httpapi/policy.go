package httpapi

import (
	"math"
	"net/http"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// handlePolicyGet answers the caller's policy version in force now: the
// document, with its version number and effective_at set (version 0, the
// operator's default, has no effective_at).
func (s *Server) handlePolicyGet(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	v, err := s.cfg.Policy.PolicyInForce(r.Context(), a.TenantID, s.now())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, versionDocument(v))
	return nil
}

// handlePolicyPut publishes a new version: the body is a policy document
// with a top-level effective_at. A document with any problem is refused
// whole, with every problem listed in the error's "problems".
func (s *Server) handlePolicyPut(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	d, ps := policy.Check(body)
	if len(ps) > 0 {
		return policy.Problems(ps)
	}
	if d.EffectiveAt == nil {
		return steward.Errorf(steward.EInvalid, "effective_at", "effective_at is required: the time (RFC 3339) the new version takes effect")
	}
	v, err := s.cfg.Policy.PublishPolicy(r.Context(), a.TenantID, d, *d.EffectiveAt)
	s.notices.forget(a.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, versionDocument(v))
	return nil
}

// handlePolicyVersions lists the caller's published versions, oldest first.
func (s *Server) handlePolicyVersions(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	vs, err := s.cfg.Policy.PolicyVersions(r.Context(), a.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(vs, ""))
	return nil
}

// handlePolicyDisposals lists the caller's disposal flags, oldest first:
// one per category a published version dropped, whose stored data is left
// for retention to dispose of.
func (s *Server) handlePolicyDisposals(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	fs, err := s.cfg.Policy.PolicyDisposals(r.Context(), a.TenantID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(fs, ""))
	return nil
}

// handlePolicySchema answers the policy document's JSON Schema. It is
// public: it describes a format and holds nothing of anyone's.
func handlePolicySchema(w http.ResponseWriter, r *http.Request, _ steward.Actor) error {
	w.Header().Set("Content-Type", "application/schema+json")
	w.WriteHeader(http.StatusOK)
	w.Write(policy.Schema())
	return nil
}

// versionDocument returns v's document stamped with its number and
// effective time, the form GET /v1/policy answers and PUT accepts.
func versionDocument(v *policy.Version) *policy.Document {
	d := *v.Document
	d.Version = v.Version
	d.EffectiveAt = nil
	if !v.EffectiveAt.IsZero() {
		at := v.EffectiveAt
		d.EffectiveAt = &at
	}
	return &d
}

// PolicyDiffResponse is what changed from version From to version To.
type PolicyDiffResponse struct {
	From int `json:"from"`
	To   int `json:"to"`
	*policy.DocumentDiff
}

// handlePolicyDiff compares two of the caller's versions (0 is the
// default): categories, purposes, recipients and retention rules added,
// removed or changed.
func (s *Server) handlePolicyDiff(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	var vs [2]*policy.Version
	for i, name := range []string{"from", "to"} {
		n, err := int64Param(r, name, -1)
		if err != nil {
			return err
		}
		if n > math.MaxInt32 {
			return steward.Errorf(steward.ENotFound, name, "no such policy version")
		}
		v, err := s.cfg.Policy.PolicyVersion(r.Context(), a.TenantID, int(n))
		if err != nil {
			if steward.ErrorCode(err) == steward.ENotFound && steward.ErrorField(err) == "version" {
				return steward.Errorf(steward.ENotFound, name, "no such policy version")
			}
			return err
		}
		vs[i] = v
	}
	writeJSON(w, http.StatusOK, PolicyDiffResponse{From: vs[0].Version, To: vs[1].Version, DocumentDiff: policy.Diff(vs[0].Document, vs[1].Document)})
	return nil
}
