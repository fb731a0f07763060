package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

func open(tb testing.TB) *storetest.Harness {
	tb.Helper()
	dir := tb.TempDir()
	master, _, err := keyring.LoadOrCreateMasterFile(filepath.Join(dir, "master.key"), true)
	if err != nil {
		tb.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	db, err := sqlite.Open(context.Background(), dataDir, master, nil)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, sqlite.FileName)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		tb.Fatal(err)
	}
	current := db
	tb.Cleanup(func() {
		raw.Close()
		current.Close()
	})
	return &storetest.Harness{
		Store:  db.Store,
		Raw:    raw,
		Rebind: sqlite.Dialect().Rebind,
		Dump: func(tb testing.TB) []byte {
			current.Close()
			raw.Close()
			var all []byte
			filepath.Walk(dataDir, func(p string, fi os.FileInfo, err error) error {
				if err == nil && !fi.IsDir() {
					b, _ := os.ReadFile(p)
					all = append(all, b...)
				}
				return nil
			})
			return all
		},
		Reopen: func(tb testing.TB) *sqlstore.Store {
			current.Close()
			next, err := sqlite.Open(context.Background(), dataDir, master, nil)
			if err != nil {
				tb.Fatal(err)
			}
			current = next
			return next.Store
		},
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }
