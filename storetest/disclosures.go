package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// testDisclosures checks the disclosure ledger against the default policy:
// every refusal leaves nothing stored, a recorded disclosure stores its rows
// and its audit entries together, the legal reference is sealed at rest,
// tenants are isolated and erased subjects are refused.
func testDisclosures(t *testing.T, open Opener) {
	h := open(t)
	s := h.Store
	ctx := context.Background()
	a, _ := MustTenant(t, s, "Acme")
	b, _ := MustTenant(t, s, "Globex")
	s1 := MustSubject(t, s, a, "one@example.com", "One")
	s2 := MustSubject(t, s, a, "two@example.com", "Two")
	theirs := MustSubject(t, s, b, "three@example.com", "Three")

	valid := func() *policy.DisclosureInput {
		return &policy.DisclosureInput{Recipient: "hosting", Purpose: "essential.service",
			Categories: []string{"user.name", "user.contact.email"}, SubjectIDs: []string{s1.ID, s2.ID}}
	}
	nothingStored := func(t *testing.T) {
		t.Helper()
		if n := h.count(t, `SELECT COUNT(*) FROM disclosures WHERE tenant_id = ?`, a.TenantID); n != 0 {
			t.Fatalf("%d ledger rows stored after a refusal", n)
		}
		if n := countAction(t, s, a.TenantID, steward.ActionDisclose); n != 0 {
			t.Fatalf("%d disclose entries audited after a refusal", n)
		}
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		future := time.Now().Add(time.Hour)
		for _, tc := range []struct {
			name, field string
			edit        func(*policy.DisclosureInput)
		}{
			{"UnknownRecipient", "recipient", func(in *policy.DisclosureInput) { in.Recipient = "nobody" }},
			{"UnknownPurpose", "purpose", func(in *policy.DisclosureInput) { in.Purpose = "mind.reading" }},
			{"PurposeNotForRecipient", "purpose", func(in *policy.DisclosureInput) { in.Purpose = "marketing" }},
			{"CategoryNotForRecipient", "categories", func(in *policy.DisclosureInput) { in.Categories = []string{"user.financial.credit_card"} }},
			{"NoCategories", "categories", func(in *policy.DisclosureInput) { in.Categories = nil }},
			{"NoSubjects", "subject_ids", func(in *policy.DisclosureInput) { in.SubjectIDs = nil }},
			{"BadSubjectID", "subject_ids", func(in *policy.DisclosureInput) { in.SubjectIDs = []string{"nope"} }},
			{"DuplicateSubject", "subject_ids", func(in *policy.DisclosureInput) { in.SubjectIDs = []string{s1.ID, s1.ID} }},
			{"Future", "disclosed_at", func(in *policy.DisclosureInput) { in.DisclosedAt = &future }},
			{"AuthorityWithoutReference", "legal_reference", func(in *policy.DisclosureInput) {
				in.Recipient, in.Purpose = "authorities", "third_party_sharing.legal_obligation"
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := valid()
				tc.edit(in)
				_, _, err := s.RecordDisclosures(ctx, a, in, nil)
				wantCode(t, err, steward.EInvalid)
				if f := steward.ErrorField(err); f != tc.field {
					t.Fatalf("field = %q (%v), want %q", f, err, tc.field)
				}
				nothingStored(t)
			})
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{steward.NewID("sub"), theirs.ID} {
			in := valid()
			in.SubjectIDs = []string{s1.ID, id}
			_, _, err := s.RecordDisclosures(ctx, a, in, nil)
			wantCode(t, err, steward.ENotFound)
			if steward.ErrorField(err) != "subject_ids" || !strings.Contains(steward.ErrorMessage(err), id) {
				t.Fatalf("refusal does not name the subject: %v", err)
			}
			nothingStored(t)
		}
	})

	t.Run("OK", func(t *testing.T) {
		size := auditSize(t, s, a.TenantID)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		in := valid()
		in.DisclosedAt = &at
		ds, replayed, err := s.RecordDisclosures(ctx, a, in, nil)
		if err != nil || replayed || len(ds) != 2 {
			t.Fatalf("record = %v, %v, %v", ds, replayed, err)
		}
		for i, d := range ds {
			if !steward.ValidID("dis", d.ID) || d.SubjectID != in.SubjectIDs[i] || d.RecipientKind != policy.RecipientProcessor ||
				!d.DisclosedAt.Equal(at) || d.RecordedAt.IsZero() || d.PolicyVersion != 0 || len(d.Categories) != 2 {
				t.Fatalf("recorded %+v", d)
			}
		}
		if n := h.count(t, `SELECT COUNT(*) FROM disclosures WHERE tenant_id = ?`, a.TenantID); n != 2 {
			t.Fatalf("%d ledger rows, want 2", n)
		}
		if got := auditSize(t, s, a.TenantID) - size; got != 2 {
			t.Fatalf("log grew by %d, want 2", got)
		}
		es := allEntries(t, s, a.TenantID, s1.ID)
		e := es[len(es)-1]
		if e.Action != steward.ActionDisclose || e.Purpose != "essential.service" || strings.Join(e.Fields, ",") != "user.name,user.contact.email" {
			t.Fatalf("disclosure audited as %+v", e)
		}
		list, next, err := s.Disclosures(ctx, a, s1.ID, steward.Page{})
		if err != nil || next != "" || len(list) != 1 || list[0].ID != ds[0].ID || list[0].Recipient != "hosting" {
			t.Fatalf("list = %v, %q, %v", list, next, err)
		}
		es = allEntries(t, s, a.TenantID, s1.ID)
		if e := es[len(es)-1]; e.Action != steward.ActionRead || strings.Join(e.Fields, ",") != "disclosures" {
			t.Fatalf("list audited as %+v", e)
		}
		stats, err := s.DisclosureStats(ctx, a.TenantID)
		if err != nil || len(stats) != 1 || stats[0].Count != 2 || stats[0].Recipient != "hosting" || !stats[0].Last.Equal(at) {
			t.Fatalf("stats = %+v, %v", stats, err)
		}
	})

	t.Run("Authority", func(t *testing.T) {
		const ref = "Court order 2026/4711 concerning One"
		in := &policy.DisclosureInput{Recipient: "authorities", Purpose: "third_party_sharing.legal_obligation",
			Categories: []string{"user.contact.email"}, SubjectIDs: []string{s1.ID}, LegalReference: ref}
		ds, _, err := s.RecordDisclosures(ctx, a, in, nil)
		if err != nil || len(ds) != 1 || ds[0].LegalReference != ref || ds[0].RecipientKind != policy.RecipientAuthority {
			t.Fatalf("record = %v, %v", ds, err)
		}
		list, _, err := s.Disclosures(ctx, a, s1.ID, steward.Page{})
		if err != nil || len(list) != 2 || list[1].LegalReference != ref {
			t.Fatalf("list = %v, %v", list, err)
		}
		var raw []byte
		if err := h.Raw.QueryRow(h.Rebind(`SELECT legal_reference FROM disclosures WHERE tenant_id = ? AND id = ?`), a.TenantID, ds[0].ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 || bytes.Contains(raw, []byte("4711")) {
			t.Fatal("legal reference is not sealed at rest")
		}
	})

	t.Run("Idempotency", func(t *testing.T) {
		idem := &steward.Idempotency{Key: "dis-1", Fingerprint: []byte("fp")}
		in := valid()
		first, replayed, err := s.RecordDisclosures(ctx, a, in, idem)
		if err != nil || replayed {
			t.Fatal(replayed, err)
		}
		again, replayed, err := s.RecordDisclosures(ctx, a, in, idem)
		if err != nil || !replayed || len(again) != 2 || again[0].ID != first[0].ID || again[1].ID != first[1].ID {
			t.Fatalf("replay = %v, %v, %v", again, replayed, err)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		_, _, err := s.Disclosures(ctx, b, s1.ID, steward.Page{})
		wantCode(t, err, steward.ENotFound)
		stats, err := s.DisclosureStats(ctx, b.TenantID)
		if err != nil || len(stats) != 0 {
			t.Fatalf("other tenant's stats = %v, %v", stats, err)
		}
	})

	t.Run("ErrGone", func(t *testing.T) {
		if _, err := s.EraseSubject(ctx, a, s2.ID); err != nil {
			t.Fatal(err)
		}
		before := h.count(t, `SELECT COUNT(*) FROM disclosures WHERE tenant_id = ?`, a.TenantID)
		in := valid()
		_, _, err := s.RecordDisclosures(ctx, a, in, nil)
		wantCode(t, err, steward.EGone)
		if !strings.Contains(steward.ErrorMessage(err), s2.ID) {
			t.Fatalf("refusal does not name the subject: %v", err)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM disclosures WHERE tenant_id = ?`, a.TenantID); n != before {
			t.Fatalf("ledger grew from %d to %d on a refusal", before, n)
		}
		_, _, err = s.Disclosures(ctx, a, s2.ID, steward.Page{})
		wantCode(t, err, steward.EGone)
	})
}

// countAction counts a tenant's audit entries with one action.
func countAction(tb testing.TB, s interface {
	AuditEntries(context.Context, string, steward.AuditFilter) ([]*steward.AuditEntry, string, error)
}, tenant string, action steward.AuditAction) int {
	tb.Helper()
	n, after := 0, ""
	for {
		es, next, err := s.AuditEntries(context.Background(), tenant, steward.AuditFilter{Page: steward.Page{After: after, Limit: steward.MaxPageLimit}})
		if err != nil {
			tb.Fatalf("audit entries: %v", err)
		}
		for _, e := range es {
			if e.Action == action {
				n++
			}
		}
		if next == "" {
			return n
		}
		after = next
	}
}
