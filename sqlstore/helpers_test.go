package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlite"
)

// sqliteDir is one test's data directory for SQLite stores, with the
// master key they open with.
type sqliteDir struct {
	t      testing.TB
	dir    string
	master *keyring.Master
}

func newSQLiteDir(t testing.TB) *sqliteDir {
	t.Helper()
	master, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	return &sqliteDir{t: t, dir: t.TempDir(), master: master}
}

// open opens a store on the directory; the caller closes it.
func (d *sqliteDir) open() *sqlite.DB {
	d.t.Helper()
	db, err := sqlite.Open(context.Background(), d.dir, d.master, nil)
	if err != nil {
		d.t.Fatal(err)
	}
	return db
}

// raw opens a direct connection to the database, closed when the test ends.
func (d *sqliteDir) raw() *sql.DB {
	d.t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(d.dir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		d.t.Fatal(err)
	}
	d.t.Cleanup(func() { raw.Close() })
	return raw
}

// waitForLookupCache waits until a store's background warm-up has loaded
// n hints.
func waitForLookupCache(t testing.TB, db *sqlite.DB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for db.LookupCacheSize() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the lookup cache holds %d entries, want %d", db.LookupCacheSize(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
