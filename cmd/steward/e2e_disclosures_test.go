package main

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/stewardhq/steward/policy"
)

// disclosureList is the body of POST /v1/disclosures and of a subject's
// disclosure listing.
type disclosureList struct {
	Data []policy.Disclosure `json:"data"`
	Next string              `json:"next"`
}

// TestDisclosuresAPI records disclosures through HTTP, lists them per
// subject, and reads the records of processing as JSON and CSV.
func TestDisclosuresAPI(t *testing.T) {
	ts := MustServe(t, "")
	_, token := MustTenant(t, ts.Data, "Ledger Corp")
	_, other := MustTenant(t, ts.Data, "Other Ledger Corp")
	sub := MustCreateSubject(t, ts.URL, token, map[string]any{
		"kind": "end_user", "source": "registration",
		"name":  map[string]any{"value": "Dana Disclosed"},
		"email": map[string]any{"value": "dana@example.com"},
	})
	theirs := MustCreateSubject(t, ts.URL, other, map[string]any{
		"kind": "end_user", "source": "registration",
		"email": map[string]any{"value": "theirs@example.com"},
	})
	url := ts.URL + "/v1/disclosures"
	body := func(edit func(map[string]any)) map[string]any {
		m := map[string]any{"recipient": "hosting", "purpose": "essential.service",
			"categories": []string{"user.name", "user.contact.email"}, "subject_ids": []string{sub.ID}}
		if edit != nil {
			edit(m)
		}
		return m
	}

	t.Run("OK", func(t *testing.T) {
		r := Do(t, "POST", url, token, body(nil), "Idempotency-Key", "dis-ok-1")
		MustStatus(t, r, 201, "record disclosure")
		var got disclosureList
		r.JSON(t, &got)
		if len(got.Data) != 1 || got.Data[0].SubjectID != sub.ID || got.Data[0].RecipientKind != policy.RecipientProcessor {
			t.Fatalf("recorded %s", r.Body)
		}
		again := Do(t, "POST", url, token, body(nil), "Idempotency-Key", "dis-ok-1")
		MustStatus(t, again, 201, "replay")
		var replay disclosureList
		again.JSON(t, &replay)
		if again.Header.Get("Idempotent-Replayed") != "true" || len(replay.Data) != 1 || replay.Data[0].ID != got.Data[0].ID {
			t.Fatalf("replay answered %s", again.Body)
		}
	})

	t.Run("Authority", func(t *testing.T) {
		auth := func(m map[string]any) {
			m["recipient"], m["purpose"], m["categories"] = "authorities", "third_party_sharing.legal_obligation", []string{"user.contact.email"}
		}
		env := MustError(t, Do(t, "POST", url, token, body(auth)), 400, "invalid")
		if env.Error.Field != "legal_reference" {
			t.Fatalf("field = %q, want legal_reference", env.Error.Field)
		}
		r := Do(t, "POST", url, token, body(func(m map[string]any) { auth(m); m["legal_reference"] = "Court order 12/2026" }))
		MustStatus(t, r, 201, "disclosure to an authority")
	})

	t.Run("List", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID+"/disclosures", token, nil)
		MustStatus(t, r, 200, "list disclosures")
		var got disclosureList
		r.JSON(t, &got)
		if len(got.Data) != 2 || got.Data[0].Recipient != "hosting" || got.Data[1].Recipient != "authorities" ||
			got.Data[1].LegalReference != "Court order 12/2026" {
			t.Fatalf("listed %s", r.Body)
		}
		MustError(t, Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID+"/disclosures", other, nil), 404, "not_found")
	})

	t.Run("RecordsJSON", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/v1/records-of-processing", token, nil)
		MustStatus(t, r, 200, "records of processing")
		var rs policy.Records
		r.JSON(t, &rs)
		if rs.Controller.LegalName == "" || len(rs.Records) != len(policy.Default().Purposes) {
			t.Fatalf("records = %s", r.Body)
		}
		for _, rec := range rs.Records {
			for _, rr := range rec.Recipients {
				want := 0
				if (rec.Purpose == "essential.service" && rr.ID == "hosting") || (rec.Purpose == "third_party_sharing.legal_obligation" && rr.ID == "authorities") {
					want = 1
				}
				if rr.Disclosures != want {
					t.Fatalf("%s to %s: %d disclosures, want %d", rec.Purpose, rr.ID, rr.Disclosures, want)
				}
			}
		}
	})

	t.Run("RecordsCSV", func(t *testing.T) {
		r := Do(t, "GET", ts.URL+"/v1/records-of-processing?format=csv", token, nil)
		MustStatus(t, r, 200, "records of processing as CSV")
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
			t.Fatalf("Content-Type = %q", ct)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], policy.RecordsCSVHeader) {
			t.Fatalf("header = %v", rows[0])
		}
		col := func(name string) int { return slices.Index(rows[0], name) }
		found := false
		for _, row := range rows[1:] {
			if row[col("purpose")] == "essential.service" && row[col("recipient")] == "hosting" {
				found = row[col("disclosures")] == "1" && row[col("recipient_kind")] == "processor" && row[col("last_disclosure")] != ""
			}
		}
		if !found {
			t.Fatalf("no row counting the disclosure to hosting:\n%s", r.Body)
		}
		MustError(t, Do(t, "GET", ts.URL+"/v1/records-of-processing?format=xml", token, nil), 400, "invalid")
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			name, field string
			edit        func(map[string]any)
		}{
			{"UnknownRecipient", "recipient", func(m map[string]any) { m["recipient"] = "nobody" }},
			{"UnknownPurpose", "purpose", func(m map[string]any) { m["purpose"] = "mind.reading" }},
			{"UnknownCategory", "categories", func(m map[string]any) { m["categories"] = []string{"user.biometric"} }},
			{"CategoryNotForRecipient", "categories", func(m map[string]any) { m["categories"] = []string{"user.financial.credit_card"} }},
			{"Future", "disclosed_at", func(m map[string]any) { m["disclosed_at"] = "2999-01-01T00:00:00Z" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env := MustError(t, Do(t, "POST", url, token, body(tc.edit)), 400, "invalid")
				if env.Error.Field != tc.field {
					t.Fatalf("field = %q, want %q", env.Error.Field, tc.field)
				}
			})
		}
		MustError(t, Do(t, "POST", url, token, `{"recipient": `), 400, "malformed_json")
		MustError(t, Do(t, "POST", url, token, body(func(m map[string]any) { m["extra"] = 1 })), 400, "unknown_field")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		env := MustError(t, Do(t, "POST", url, token, body(func(m map[string]any) { m["subject_ids"] = []string{theirs.ID} })), 404, "not_found")
		if env.Error.Field != "subject_ids" || !strings.Contains(env.Error.Message, theirs.ID) {
			t.Fatalf("refusal = %+v", env.Error)
		}
		r := Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID+"/disclosures", token, nil)
		var got disclosureList
		r.JSON(t, &got)
		if len(got.Data) != 2 {
			t.Fatalf("refusals stored entries: %s", r.Body)
		}
	})

	t.Run("ErrGone", func(t *testing.T) {
		MustStatus(t, Do(t, "DELETE", ts.URL+"/v1/subjects/"+sub.ID, token, nil), 200, "erase")
		MustError(t, Do(t, "POST", url, token, body(nil)), 410, "gone")
		MustError(t, Do(t, "GET", ts.URL+"/v1/subjects/"+sub.ID+"/disclosures", token, nil), 410, "gone")
	})
}
