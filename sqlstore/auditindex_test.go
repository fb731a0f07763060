package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

// TestAuditIndexMergesInSteps makes merges take many steps (chunks of 3
// keys, steps of 8), closes the store whenever one is half done and opens
// it again, and checks every subject's listing against a scan of the log
// throughout. Then it throws the index away, as a store from before the
// index would have none, and the next open rebuilds it.
func TestAuditIndexMergesInSteps(t *testing.T) {
	defer sqlstore.SetIndexLimits(3, 8)()
	ctx := context.Background()
	d := newSQLiteDir(t)
	db := d.open()
	defer func() { db.Close() }()
	reopen := func() {
		t.Helper()
		db.Close()
		db = d.open()
	}
	raw := d.raw()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	var ids []string
	for i := range 5 {
		ids = append(ids, storetest.MustSubject(t, db.Store, a, fmt.Sprintf("step%d@example.com", i), "Stepped").ID)
	}
	reopened := 0
	for i := range 400 {
		if _, err := db.Subject(ctx, a, ids[i%len(ids)]); err != nil {
			t.Fatal(err)
		}
		if count(`SELECT COUNT(*) FROM audit_runs WHERE state = 0`) > 0 && reopened < 5 {
			reopened++
			reopen()
			storetest.MustIndexMatchLog(t, db.Store, a.TenantID, ids)
		}
		if i%50 == 49 {
			storetest.MustIndexMatchLog(t, db.Store, a.TenantID, ids)
		}
	}
	if reopened == 0 {
		t.Fatal("no merge was ever seen half done")
	}
	if top := count(`SELECT MAX(level) FROM audit_runs`); top < 2 {
		t.Fatalf("the highest level is %d: merges did not cascade", top)
	}
	if chunks := count(`SELECT COUNT(*) FROM audit_index_chunks`); chunks > 400 {
		t.Fatalf("%d chunks hold 400 entries' keys: merged runs are not deleted", chunks)
	}
	storetest.MustIndexMatchLog(t, db.Store, a.TenantID, ids)

	for _, q := range []string{`DELETE FROM audit_index_chunks`, `DELETE FROM audit_runs`, `DELETE FROM steward_meta WHERE name = 'audit_index:backfilled'`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if got, _, err := db.AuditEntries(ctx, a.TenantID, steward.AuditFilter{SubjectID: ids[0]}); err != nil || len(got) != 0 {
		t.Fatalf("without an index the listing is %d entries, %v", len(got), err)
	}
	// The next open rebuilds it, 7 entries a transaction.
	defer sqlstore.SetBackfillRun(7)()
	reopen()
	storetest.MustIndexMatchLog(t, db.Store, a.TenantID, ids)
	storetest.MustVerify(t, db.Store)
	if n := count(`SELECT COUNT(*) FROM audit_runs`); n < 400/7 {
		t.Fatalf("the backfill wrote %d runs, want one per 7 entries", n)
	}
	var state string
	if err := raw.QueryRow(`SELECT value FROM steward_meta WHERE name = 'audit_index:backfilled'`).Scan(&state); err != nil || state != "done" {
		t.Fatalf("backfill state %q, %v", state, err)
	}
	if n := count(`SELECT COUNT(*) FROM steward_meta WHERE name LIKE 'audit_index:backfill:%'`); n != 0 {
		t.Fatalf("%d backfill progress rows left", n)
	}
}

// TestAuditIndexCollisions makes every subject's hash the same: a listing
// then finds every subject's keys under the one hash, must drop the
// entries of the others and go on reading until its page is full, and
// verification must still find the index whole.
func TestAuditIndexCollisions(t *testing.T) {
	defer sqlstore.SetSubjectHash(func(string) uint64 { return 42 })()
	defer sqlstore.SetIndexLimits(3, 8)()
	ctx := context.Background()
	db := newSQLiteDir(t).open()
	defer db.Close()
	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	var ids []string
	for i := range 3 {
		ids = append(ids, storetest.MustSubject(t, db.Store, a, fmt.Sprintf("clash%d@example.com", i), "Clashing").ID)
	}
	// Mostly the first subject, so that the others' pages of 7 must skip
	// long stretches of its entries.
	for i := range 120 {
		id := ids[0]
		if i%10 == 9 {
			id = ids[1+i/10%2]
		}
		if _, err := db.Subject(ctx, a, id); err != nil {
			t.Fatal(err)
		}
	}
	storetest.MustIndexMatchLog(t, db.Store, a.TenantID, ids)
	storetest.MustVerify(t, db.Store)
}
