package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// testAcceptances checks policy acceptance records: every refusal leaves
// nothing stored and nothing audited, a recorded acceptance is audited in
// the same commit, a subject's list is newest first, the latest per subject
// is listed, tenants are isolated and erased subjects are refused.
func testAcceptances(t *testing.T, open Opener) {
	h := open(t)
	s := h.Store
	ctx := context.Background()
	a, _ := MustTenant(t, s, "Acme")
	b, _ := MustTenant(t, s, "Globex")
	s1 := MustSubject(t, s, a, "one@example.com", "One")
	s2 := MustSubject(t, s, a, "two@example.com", "Two")
	theirs := MustSubject(t, s, b, "three@example.com", "Three")
	v1, err := s.PublishPolicy(ctx, a.TenantID, policy.Default(), time.Now().AddDate(0, 0, 40))
	if err != nil {
		t.Fatal(err)
	}

	rows := func(t *testing.T) int64 {
		t.Helper()
		return h.count(t, `SELECT COUNT(*) FROM policy_acceptances WHERE tenant_id = ?`, a.TenantID)
	}
	isAcceptance := func(e *steward.AuditEntry, action steward.AuditAction) bool {
		return e.Action == action && strings.Join(e.Fields, ",") == "policy_acceptance"
	}

	t.Run("ErrInvalid", func(t *testing.T) {
		size := auditSize(t, s, a.TenantID)
		for _, tc := range []struct {
			name, field string
			version     int
			at          time.Time
			source      string
		}{
			{"UnknownVersion", "version", 7, time.Time{}, "web"},
			{"NegativeVersion", "version", -1, time.Time{}, "web"},
			{"OtherTenantsVersion", "version", 1, time.Time{}, "web"}, // for tenant b below
			{"Future", "accepted_at", 0, time.Now().Add(time.Hour), "web"},
			{"BeforePublished", "accepted_at", v1.Version, v1.CreatedAt.Add(-time.Second), "web"},
			{"UnknownSource", "source", 0, time.Time{}, "carrier-pigeon"},
			{"NoSource", "source", 0, time.Time{}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				actor, sub := a, s1.ID
				if tc.name == "OtherTenantsVersion" {
					actor, sub = b, theirs.ID
				}
				_, _, err := s.RecordAcceptance(ctx, actor, sub, tc.version, tc.at, tc.source, nil)
				wantCode(t, err, steward.EInvalid)
				if f := steward.ErrorField(err); f != tc.field {
					t.Fatalf("field = %q (%v), want %q", f, err, tc.field)
				}
			})
		}
		if n := rows(t); n != 0 {
			t.Fatalf("%d acceptances stored after refusals", n)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM policy_acceptances WHERE tenant_id = ?`, b.TenantID); n != 0 {
			t.Fatalf("%d acceptances stored for the other tenant after refusals", n)
		}
		if got := auditSize(t, s, a.TenantID) - size; got != 0 {
			t.Fatalf("log grew by %d after refusals", got)
		}
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		for _, id := range []string{steward.NewID("sub"), theirs.ID, "nope"} {
			_, _, err := s.RecordAcceptance(ctx, a, id, 0, time.Time{}, "web", nil)
			wantCode(t, err, steward.ENotFound)
		}
		if n := rows(t); n != 0 {
			t.Fatalf("%d acceptances stored after refusals", n)
		}
	})

	t.Run("OK", func(t *testing.T) {
		size := auditSize(t, s, a.TenantID)
		at0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		first, replayed, err := s.RecordAcceptance(ctx, a, s1.ID, 0, at0, "paper", nil)
		if err != nil || replayed || !steward.ValidID("acc", first.ID) || first.Version != 0 || !first.AcceptedAt.Equal(at0) ||
			first.Source != "paper" || first.SubjectID != s1.ID || first.RecordedAt.IsZero() {
			t.Fatalf("record = %+v, %v, %v", first, replayed, err)
		}
		second, _, err := s.RecordAcceptance(ctx, a, s1.ID, v1.Version, time.Time{}, "web", nil)
		if err != nil || second.Version != v1.Version || second.AcceptedAt.Before(v1.CreatedAt) {
			t.Fatalf("record = %+v, %v", second, err)
		}
		// Recorded later but accepted earlier: not s2's latest.
		if _, _, err := s.RecordAcceptance(ctx, a, s2.ID, v1.Version, time.Time{}, "app", nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.RecordAcceptance(ctx, a, s2.ID, 0, at0, "email", nil); err != nil {
			t.Fatal(err)
		}
		if n := rows(t); n != 4 {
			t.Fatalf("%d acceptances stored, want 4", n)
		}
		if got := auditSize(t, s, a.TenantID) - size; got != 4 {
			t.Fatalf("log grew by %d, want 4", got)
		}
		es := allEntries(t, s, a.TenantID, s1.ID)
		if e := es[len(es)-1]; !isAcceptance(e, steward.ActionUpdate) {
			t.Fatalf("acceptance audited as %+v", e)
		}

		list, next, err := s.Acceptances(ctx, a, s1.ID, steward.Page{})
		if err != nil || next != "" || len(list) != 2 || list[0].ID != second.ID || list[1].ID != first.ID {
			t.Fatalf("list = %v, %q, %v", list, next, err)
		}
		page, next, err := s.Acceptances(ctx, a, s1.ID, steward.Page{Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != second.ID || next != second.ID {
			t.Fatalf("page 1 = %v, %q, %v", page, next, err)
		}
		page, next, err = s.Acceptances(ctx, a, s1.ID, steward.Page{Limit: 1, After: next})
		if err != nil || len(page) != 1 || page[0].ID != first.ID || next != "" {
			t.Fatalf("page 2 = %v, %q, %v", page, next, err)
		}
		es = allEntries(t, s, a.TenantID, s1.ID)
		if e := es[len(es)-1]; !isAcceptance(e, steward.ActionRead) {
			t.Fatalf("list audited as %+v", e)
		}

		size = auditSize(t, s, a.TenantID)
		latest, next, err := s.LatestAcceptances(ctx, a, steward.Page{})
		if err != nil || next != "" || len(latest) != 2 {
			t.Fatalf("latest = %v, %q, %v", latest, next, err)
		}
		want := map[string]int{s1.ID: v1.Version, s2.ID: v1.Version}
		for _, l := range latest {
			if v, ok := want[l.SubjectID]; !ok || l.Version != v {
				t.Fatalf("latest = %+v, want version %d", l, v)
			}
		}
		if latest[0].SubjectID > latest[1].SubjectID {
			t.Fatal("latest acceptances not ordered by subject id")
		}
		if got := auditSize(t, s, a.TenantID) - size; got != 2 {
			t.Fatalf("latest listing audited %d entries, want 2", got)
		}
		es = allEntries(t, s, a.TenantID, s2.ID)
		if e := es[len(es)-1]; !isAcceptance(e, steward.ActionList) {
			t.Fatalf("latest listing audited as %+v", e)
		}
		page2, next, err := s.LatestAcceptances(ctx, a, steward.Page{Limit: 1})
		if err != nil || len(page2) != 1 || next != page2[0].SubjectID {
			t.Fatalf("latest page 1 = %v, %q, %v", page2, next, err)
		}
		page2, next, err = s.LatestAcceptances(ctx, a, steward.Page{Limit: 1, After: next})
		if err != nil || len(page2) != 1 || next != "" {
			t.Fatalf("latest page 2 = %v, %q, %v", page2, next, err)
		}
	})

	t.Run("Idempotency", func(t *testing.T) {
		idem := &steward.Idempotency{Key: "acc-1", Fingerprint: []byte("fp")}
		first, replayed, err := s.RecordAcceptance(ctx, a, s1.ID, 0, time.Time{}, "api", idem)
		if err != nil || replayed {
			t.Fatal(replayed, err)
		}
		again, replayed, err := s.RecordAcceptance(ctx, a, s1.ID, 0, time.Time{}, "api", idem)
		if err != nil || !replayed || again.ID != first.ID || !again.AcceptedAt.Equal(first.AcceptedAt) {
			t.Fatalf("replay = %+v, %v, %v", again, replayed, err)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		_, _, err := s.Acceptances(ctx, b, s1.ID, steward.Page{})
		wantCode(t, err, steward.ENotFound)
		latest, _, err := s.LatestAcceptances(ctx, b, steward.Page{})
		if err != nil || len(latest) != 0 {
			t.Fatalf("other tenant's latest = %v, %v", latest, err)
		}
	})

	t.Run("ErrGone", func(t *testing.T) {
		if _, err := s.EraseSubject(ctx, a, s2.ID); err != nil {
			t.Fatal(err)
		}
		before := rows(t)
		_, _, err := s.RecordAcceptance(ctx, a, s2.ID, 0, time.Time{}, "web", nil)
		wantCode(t, err, steward.EGone)
		if n := rows(t); n != before {
			t.Fatalf("acceptances grew from %d to %d on a refusal", before, n)
		}
		_, _, err = s.Acceptances(ctx, a, s2.ID, steward.Page{})
		wantCode(t, err, steward.EGone)
		latest, _, err := s.LatestAcceptances(ctx, a, steward.Page{})
		if err != nil || len(latest) != 1 || latest[0].SubjectID != s1.ID {
			t.Fatalf("latest after erasure = %v, %v", latest, err)
		}
		if n := h.count(t, `SELECT COUNT(*) FROM policy_acceptances WHERE tenant_id = ? AND subject_id = ?`, a.TenantID, s2.ID); n != 0 {
			t.Fatalf("%d acceptances of the erased subject kept", n)
		}
	})
}
