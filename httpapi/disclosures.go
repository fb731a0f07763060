package httpapi

import (
	"bytes"
	"net/http"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// handleDisclosureCreate records that categories of one or more subjects
// were disclosed to a recipient the policy in force declares, for a purpose
// it declares. With an Idempotency-Key a retry answers the first result.
func (s *Server) handleDisclosureCreate(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	in, idem, err := decodeIdempotent[policy.DisclosureInput](w, r, s)
	if err != nil {
		return err
	}
	if err := in.Validate(s.now()); err != nil {
		return err
	}
	ds, replayed, err := s.cfg.Disclosures.RecordDisclosures(r.Context(), a, &in, idem)
	if err != nil {
		return err
	}
	markReplay(w, replayed)
	writeJSON(w, http.StatusCreated, newList(ds, ""))
	return nil
}

// handleRecordsOfProcessing answers the records of processing (GDPR Art.
// 30) built from the policy in force and the ledger: JSON, or CSV with
// ?format=csv. They name no person, so reading them is not audited.
func (s *Server) handleRecordsOfProcessing(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return steward.Errorf(steward.EInvalid, "format", "format must be json or csv")
	}
	now := s.now()
	v, err := s.cfg.Policy.PolicyInForce(r.Context(), a.TenantID, now)
	if err != nil {
		return err
	}
	stats, err := s.cfg.Disclosures.DisclosureStats(r.Context(), a.TenantID)
	if err != nil {
		return err
	}
	rs := policy.BuildRecords(v.Document, stats, now)
	if format != "csv" {
		writeJSON(w, http.StatusOK, rs)
		return nil
	}
	var buf bytes.Buffer
	if err := rs.WriteCSV(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="records-of-processing.csv"`)
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
	return nil
}
