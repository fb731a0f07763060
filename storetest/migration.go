package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/stewardhq/steward"
)

// testMigration007 writes subjects, turns the schema back to version 6
// underneath (Harness.Undo007), and opens the store again: migration 007
// must keep every subject readable, erased ones gone, every find
// answering, and give each blind index entry its subject's row number.
func testMigration007(t *testing.T, open Opener) {
	ctx := context.Background()
	h := open(t)
	if h.Undo007 == "" {
		t.Fatal("the harness gives no way back to schema version 6")
	}
	db := h.Store
	tenants := make([]steward.Actor, 2)
	type made struct {
		a             steward.Actor
		id, email, un string
	}
	var subjects []made
	for ti := range tenants {
		tenants[ti], _ = MustTenant(t, db, fmt.Sprintf("T%d", ti))
		for i := range 12 {
			m := made{a: tenants[ti], email: fmt.Sprintf("m%d.%d@example.com", ti, i)}
			in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: m.email}}
			if i%3 != 0 {
				m.un = fmt.Sprintf("m%d_%d", ti, i)
				in.Username = &steward.Field[string]{Value: m.un}
			}
			m.id = MustCreate(t, db, tenants[ti], in).ID
			subjects = append(subjects, m)
		}
	}
	erased := subjects[5]
	if _, err := db.EraseSubject(ctx, erased.a, erased.id); err != nil {
		t.Fatal(err)
	}
	subjects = append(subjects[:5], subjects[6:]...)
	if _, err := h.Raw.Exec(h.Undo007); err != nil {
		t.Fatal(err)
	}
	db = h.Reopen(t)
	var lookups, matched int
	if err := h.Raw.QueryRow(`SELECT COUNT(*), COUNT(s.seq) FROM subject_lookups l LEFT JOIN subjects s ON s.seq = l.subject_seq AND s.tenant_id = l.tenant_id AND s.id = l.subject_id`).Scan(&lookups, &matched); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, m := range subjects {
		want++
		if m.un != "" {
			want++
		}
	}
	if lookups != want || matched != want {
		t.Fatalf("after 007: %d blind index entries, %d of them with their subject's row number; want all %d", lookups, matched, want)
	}
	for _, m := range subjects {
		got, err := db.Subject(ctx, m.a, m.id)
		if err != nil || got.Profile.Email == nil || got.Profile.Email.Value != m.email {
			t.Fatalf("read %s after 007: %+v, %v", m.id, got, err)
		}
		if got, err := db.FindSubject(ctx, m.a, steward.SubjectLookup{Email: m.email}); err != nil || got.ID != m.id {
			t.Fatalf("find %s after 007: %v, %v; want %s", m.email, got, err, m.id)
		}
		if m.un != "" {
			if got, err := db.FindSubject(ctx, m.a, steward.SubjectLookup{Username: m.un}); err != nil || got.ID != m.id {
				t.Fatalf("find %s after 007: %v, %v; want %s", m.un, got, err, m.id)
			}
		}
	}
	if _, err := db.Subject(ctx, erased.a, erased.id); steward.ErrorCode(err) != steward.EGone {
		t.Fatalf("erased subject after 007: %v, want gone", err)
	}
	if _, err := db.FindSubject(ctx, erased.a, steward.SubjectLookup{Email: erased.email}); steward.ErrorCode(err) != steward.ENotFound {
		t.Fatalf("find of the erased subject after 007: %v, want not found", err)
	}
	// New subjects after the migration get row numbers after the old ones.
	next := MustSubject(t, db, tenants[0], "after@example.com", "After")
	if got, err := db.FindSubject(ctx, tenants[0], steward.SubjectLookup{Email: "after@example.com"}); err != nil || got.ID != next.ID {
		t.Fatalf("find a subject created after 007: %v, %v", got, err)
	}
	// A subject written before 007 and erased after it must lose every
	// blind index entry, the ones 007 rewrote included.
	old := subjects[1]
	receipt, err := db.EraseSubject(ctx, old.a, old.id)
	if err != nil {
		t.Fatal(err)
	}
	if n := h.count(t, `SELECT COUNT(*) FROM subject_lookups WHERE tenant_id = ? AND subject_id = ?`, old.a.TenantID, old.id); n != 0 {
		t.Fatalf("erasing %s after 007 left %d blind index entries (receipt %v)", old.id, n, receipt.Destroyed)
	}
	if !slices.Contains(receipt.Destroyed, "2 lookup index entries") {
		t.Fatalf("erasure receipt after 007 says %q, want 2 lookup index entries", receipt.Destroyed)
	}
	if _, err := db.FindSubject(ctx, old.a, steward.SubjectLookup{Username: old.un}); steward.ErrorCode(err) != steward.ENotFound {
		t.Fatalf("find by the username of a subject erased after 007: %v, want not found", err)
	}
	vs, err := db.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if !v.OK {
			t.Fatalf("audit verification after 007: %+v", v)
		}
	}
}
