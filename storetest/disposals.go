package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// droppedCategory is a leaf category of the default policy referenced by
// few other parts of it.
const droppedCategory = "user.financial.bank_account"

// withoutCategory returns the default policy without the category key and
// every reference to it, so the document still validates.
func withoutCategory(key string) *policy.Document {
	d := policy.Default()
	drop := func(keys []string) []string {
		return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == key })
	}
	d.Categories = slices.DeleteFunc(d.Categories, func(c policy.Category) bool { return c.Key == key })
	for i := range d.Purposes {
		d.Purposes[i].Categories = drop(d.Purposes[i].Categories)
	}
	for i := range d.Recipients {
		d.Recipients[i].Categories = drop(d.Recipients[i].Categories)
	}
	for i := range d.Retention {
		d.Retention[i].Categories = drop(d.Retention[i].Categories)
	}
	for i := range d.Tracking {
		d.Tracking[i].Categories = drop(d.Tracking[i].Categories)
	}
	return d
}

// testDisposals checks that publishing a version that drops a category
// flags it for disposal and leaves every stored subject as it was, that a
// version dropping nothing flags nothing, and tenant isolation.
func testDisposals(t *testing.T, open Opener) {
	h := open(t)
	s := h.Store
	ctx := context.Background()
	a, _ := MustTenant(t, s, "Acme")
	b, _ := MustTenant(t, s, "Globex")
	s1 := MustSubject(t, s, a, "one@example.com", "One")
	MustSubject(t, s, a, "two@example.com", "Two")
	theirs := MustSubject(t, s, b, "three@example.com", "Three")
	subjects := func(t *testing.T, tenant string) int64 {
		t.Helper()
		return h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, tenant)
	}
	beforeA, beforeB := subjects(t, a.TenantID), subjects(t, b.TenantID)
	now := time.Now()

	t.Run("None", func(t *testing.T) {
		fs, err := s.PolicyDisposals(ctx, a.TenantID)
		if err != nil || fs == nil || len(fs) != 0 {
			t.Fatalf("disposals before any publication = %v, %v; want none", fs, err)
		}
		_, err = s.PolicyDisposals(ctx, "ten_unknown")
		wantCode(t, err, steward.ENotFound)
	})

	t.Run("DropFlags", func(t *testing.T) {
		at := now.AddDate(0, 0, 31).Truncate(time.Second)
		before := time.Now().Add(-time.Second)
		v, err := s.PublishPolicy(ctx, a.TenantID, withoutCategory(droppedCategory), at)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := s.PolicyDisposals(ctx, a.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 {
			t.Fatalf("disposals = %+v, want one", fs)
		}
		f := fs[0]
		if !steward.ValidID("dsp", f.ID) || f.Category != droppedCategory || f.DroppedInVersion != v.Version ||
			!f.EffectiveAt.Equal(at) || f.FlaggedAt.Before(before) || f.FlaggedAt.After(time.Now().Add(time.Second)) || f.ResolvedAt != nil {
			t.Fatalf("disposal = %+v, want %s dropped in version %d effective %s, unresolved", f, droppedCategory, v.Version, at)
		}
		if n := subjects(t, a.TenantID); n != beforeA {
			t.Fatalf("%d subjects after the publication, want %d", n, beforeA)
		}
		got, err := s.Subject(ctx, a, s1.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Profile.Email == nil || got.Profile.Email.Value != "one@example.com" || got.Profile.Name == nil || got.Profile.Name.Value != "One" {
			t.Fatalf("subject read back = %+v, want it unchanged", got.Profile)
		}
	})

	t.Run("NothingDropped", func(t *testing.T) {
		// The same document again, then one that adds the category back:
		// neither drops anything.
		for _, d := range []*policy.Document{withoutCategory(droppedCategory), policy.Default()} {
			if _, err := s.PublishPolicy(ctx, a.TenantID, d, now.AddDate(0, 0, 40)); err != nil {
				t.Fatal(err)
			}
		}
		if n := h.count(t, `SELECT COUNT(*) FROM disposal_flags WHERE tenant_id = ?`, a.TenantID); n != 1 {
			t.Fatalf("%d disposal flags, want still 1", n)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		fs, err := s.PolicyDisposals(ctx, b.TenantID)
		if err != nil || len(fs) != 0 {
			t.Fatalf("other tenant's disposals = %v, %v; want none", fs, err)
		}
		if _, err := s.PublishPolicy(ctx, b.TenantID, policy.Default(), now.AddDate(0, 0, 31)); err != nil {
			t.Fatal(err)
		}
		if fs, err := s.PolicyDisposals(ctx, b.TenantID); err != nil || len(fs) != 0 {
			t.Fatalf("other tenant's disposals after publishing the default = %v, %v; want none", fs, err)
		}
		if n := subjects(t, b.TenantID); n != beforeB {
			t.Fatalf("other tenant has %d subjects, want %d", n, beforeB)
		}
		if got, err := s.Subject(ctx, b, theirs.ID); err != nil || got.Profile.Email == nil || got.Profile.Email.Value != "three@example.com" {
			t.Fatalf("other tenant's subject = %v, %v", got, err)
		}
		if fs, err := s.PolicyDisposals(ctx, a.TenantID); err != nil || len(fs) != 1 {
			t.Fatalf("disposals = %v, %v; want still one", fs, err)
		}
	})
}
