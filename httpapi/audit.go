package httpapi

import (
	"mime"
	"net/http"
	"strings"

	"github.com/stewardhq/steward"
)

// CheckpointResponse is the latest signed checkpoint of the caller's audit
// log with the key that verifies it.
type CheckpointResponse struct {
	steward.Checkpoint
	VerifierKey string `json:"verifier_key"`
}

// InclusionProofResponse proves that Entry is leaf Index of the log's tree
// of Size entries. Proof hashes are base64 in JSON.
type InclusionProofResponse struct {
	Index int64               `json:"index"`
	Size  int64               `json:"size"`
	Entry *steward.AuditEntry `json:"entry"`
	Proof [][]byte            `json:"proof"`
}

// ConsistencyProofResponse proves the tree of From entries is a prefix of
// the tree of To entries. Proof hashes are base64 in JSON.
type ConsistencyProofResponse struct {
	From  int64    `json:"from"`
	To    int64    `json:"to"`
	Proof [][]byte `json:"proof"`
}

// handleAuditList lists the caller's audit entries, optionally for one
// subject.
func (s *Server) handleAuditList(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	p, err := pageOf(r)
	if err != nil {
		return err
	}
	f := steward.AuditFilter{Page: p}
	if q := r.URL.Query(); q.Has("subject_id") {
		f.SubjectID = q.Get("subject_id")
		if !steward.ValidID("sub", f.SubjectID) {
			return steward.Errorf(steward.EInvalid, "subject_id", "subject_id is not a subject id")
		}
	}
	entries, next, err := s.cfg.Audit.AuditEntries(r.Context(), a.TenantID, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(entries, next))
	return nil
}

// handleAuditCheckpoint answers the latest signed checkpoint as JSON, or as
// the bare signed note for clients that ask for text/plain, which is what
// note-verifying tools read.
func (s *Server) handleAuditCheckpoint(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	cp, err := s.cfg.Audit.Checkpoint(r.Context(), a.TenantID)
	if err != nil {
		return err
	}
	if prefersText(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte(cp.Note))
		return nil
	}
	writeJSON(w, http.StatusOK, CheckpointResponse{Checkpoint: *cp, VerifierKey: s.cfg.Audit.VerifierKey()})
	return nil
}

// prefersText reports whether an Accept header names text/plain before any
// JSON type. Quality values other than q=0 are not ranked: clients either
// ask for the note or for JSON.
func prefersText(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case "text/plain":
			return true
		case "application/json", "application/*", "*/*":
			return false
		}
	}
	return false
}

// handleAuditInclusion proves one entry is in the log. Size defaults to the
// latest checkpoint's, the tree a client most likely holds.
func (s *Server) handleAuditInclusion(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	index, err := int64Param(r, "index", -1)
	if err != nil {
		return err
	}
	size, err := int64Param(r, "size", 0)
	if err != nil {
		return err
	}
	if size == 0 {
		cp, err := s.cfg.Audit.Checkpoint(r.Context(), a.TenantID)
		if err != nil {
			return err
		}
		size = cp.Size
	}
	if index >= size {
		return steward.Errorf(steward.EInvalid, "index", "index must be less than size")
	}
	entry, proof, err := s.cfg.Audit.InclusionProof(r.Context(), a.TenantID, index, size)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, InclusionProofResponse{Index: index, Size: size, Entry: entry, Proof: nonNil(proof)})
	return nil
}

// handleAuditConsistency proves an older tree is a prefix of a newer one.
func (s *Server) handleAuditConsistency(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	from, err := int64Param(r, "from", -1)
	if err != nil {
		return err
	}
	to, err := int64Param(r, "to", -1)
	if err != nil {
		return err
	}
	if from > to {
		return steward.Errorf(steward.EInvalid, "from", "from must not be greater than to")
	}
	proof, err := s.cfg.Audit.ConsistencyProof(r.Context(), a.TenantID, from, to)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ConsistencyProofResponse{From: from, To: to, Proof: nonNil(proof)})
	return nil
}

// nonNil makes an empty proof encode as [] rather than null.
func nonNil(p [][]byte) [][]byte {
	if p == nil {
		return [][]byte{}
	}
	return p
}
