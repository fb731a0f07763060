package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

// TestLookupCacheWarmsInPages warms the cache in pages of 3 lookups over
// two tenants and both kinds, and then checks that every hint names the
// right subject and row: with the lookup index deleted underneath, every
// find must still answer from its hint alone.
func TestLookupCacheWarmsInPages(t *testing.T) {
	defer sqlstore.SetWarmPage(3)()
	ctx := context.Background()
	d := newSQLiteDir(t)
	db := d.open()
	tenants := make([]steward.Actor, 2)
	for i := range tenants {
		tenants[i], _ = storetest.MustTenant(t, db.Store, fmt.Sprintf("T%d", i))
	}
	const n = 17
	ids := map[string]string{} // "tenant/email" and "tenant/username" → subject id.
	for ti, a := range tenants {
		for i := range n {
			email, user := fmt.Sprintf("w%d.%d@example.com", ti, i), fmt.Sprintf("w%d_%d", ti, i)
			in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm,
				Email: &steward.Field[string]{Value: email}, Username: &steward.Field[string]{Value: user}}
			if i%4 == 3 {
				in.Username = nil // Some subjects have one lookup, not two.
			}
			s := storetest.MustCreate(t, db.Store, a, in)
			ids[a.TenantID+"/"+email] = s.ID
			if in.Username != nil {
				ids[a.TenantID+"/"+user] = s.ID
			}
		}
	}
	db.Close()

	db = d.open()
	defer db.Close()
	waitForLookupCache(t, db, len(ids))
	if got := db.LookupCacheSize(); got != len(ids) {
		t.Fatalf("the lookup cache holds %d entries, want %d", got, len(ids))
	}
	if _, err := d.raw().Exec(`DELETE FROM subject_lookups`); err != nil {
		t.Fatal(err)
	}
	for ti, a := range tenants {
		for i := range n {
			email, user := fmt.Sprintf("w%d.%d@example.com", ti, i), fmt.Sprintf("w%d_%d", ti, i)
			got, err := db.FindSubject(ctx, a, steward.SubjectLookup{Email: email})
			if err != nil || got.ID != ids[a.TenantID+"/"+email] {
				t.Fatalf("find %s: %v, %v; want %s", email, got, err, ids[a.TenantID+"/"+email])
			}
			want, ok := ids[a.TenantID+"/"+user]
			got, err = db.FindSubject(ctx, a, steward.SubjectLookup{Username: user})
			if !ok {
				if steward.ErrorCode(err) != steward.ENotFound {
					t.Fatalf("find %s, who has no username: %v, %v", user, got, err)
				}
				continue
			}
			if err != nil || got.ID != want {
				t.Fatalf("find %s: %v, %v; want %s", user, got, err, want)
			}
		}
	}
	// A hint is only a hint: another tenant's finds never use it.
	if got, err := db.FindSubject(ctx, tenants[1], steward.SubjectLookup{Email: "w0.0@example.com"}); steward.ErrorCode(err) != steward.ENotFound {
		t.Fatalf("another tenant's find: %v, %v; want not found", got, err)
	}
}

// TestWrongRowNumbersAreOnlyHints gives every blind index entry the row
// number of another subject, then reopens the store, which warms its cache
// from them: every find must still answer with the right subject, since a
// hint is checked against the subject it leads to and the database's own
// lookup goes by id.
func TestWrongRowNumbersAreOnlyHints(t *testing.T) {
	ctx := context.Background()
	d := newSQLiteDir(t)
	db := d.open()
	a, _ := storetest.MustTenant(t, db.Store, "T")
	const n = 12
	ids := make([]string, n)
	for i := range n {
		ids[i] = storetest.MustSubject(t, db.Store, a, fmt.Sprintf("r%d@example.com", i), "R").ID
	}
	db.Close()
	if _, err := d.raw().Exec(`UPDATE subject_lookups SET subject_seq = subject_seq % ? + 1`, n); err != nil {
		t.Fatal(err)
	}
	db = d.open()
	defer db.Close()
	waitForLookupCache(t, db, n)
	for i := range n {
		got, err := db.FindSubject(ctx, a, steward.SubjectLookup{Email: fmt.Sprintf("r%d@example.com", i)})
		if err != nil || got.ID != ids[i] {
			t.Fatalf("find r%d with a wrong row number as its hint: %v, %v; want %s", i, got, err, ids[i])
		}
	}
}
