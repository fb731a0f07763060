package sqlstore_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlite"
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
	dir := t.TempDir()
	master, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
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

	db, err = sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for db.LookupCacheSize() < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("the lookup cache holds %d entries, want %d", db.LookupCacheSize(), len(ids))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := db.LookupCacheSize(); got != len(ids) {
		t.Fatalf("the lookup cache holds %d entries, want %d", got, len(ids))
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM subject_lookups`); err != nil {
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
