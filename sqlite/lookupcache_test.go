package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/storetest"
)

// TestFindAcrossProcesses moves emails between subjects through one store
// while another on the same data (another process, which remembers where
// its earlier finds led) does the finding.
func TestFindAcrossProcesses(t *testing.T) {
	server, other := twoProcesses(t)
	a, _ := storetest.MustTenant(t, other.Store, "Acme")
	storetest.MustFindChanges(t, other.Store, server.Store, a)
}

// TestLookupCacheWarms opens a store on existing data: it loads the lookup
// index in the background, and finds are then served from those hints (as
// shown by deleting the index rows underneath: the finds still answer,
// each checked against the subject's own decrypted value).
func TestLookupCacheWarms(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master := mustMaster(t)
	db, err := sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	const n = 40
	var subs []*steward.Subject
	for i := range n {
		subs = append(subs, storetest.MustSubject(t, db.Store, a, fmt.Sprintf("warm%d@example.com", i), "Warm"))
	}
	db.Close()

	db, err = sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(10 * time.Second)
	for db.LookupCacheSize() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the lookup cache holds %d entries, want %d", db.LookupCacheSize(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DELETE FROM subject_lookups`); err != nil {
		t.Fatal(err)
	}
	for i, s := range subs {
		got, err := db.FindSubject(ctx, a, steward.SubjectLookup{Email: fmt.Sprintf("warm%d@example.com", i)})
		if err != nil || got.ID != s.ID {
			t.Fatalf("find warm%d: %v, %v; want %s", i, got, err, s.ID)
		}
	}
	// A hint is only a hint: another tenant's finds never use it.
	b, _ := storetest.MustTenant(t, db.Store, "Other")
	if _, err := db.FindSubject(ctx, b, steward.SubjectLookup{Email: "warm0@example.com"}); steward.ErrorCode(err) != steward.ENotFound {
		t.Fatalf("another tenant's find: %v, want not found", err)
	}
}
