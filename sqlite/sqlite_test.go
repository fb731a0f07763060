package sqlite_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

func open(tb testing.TB) *storetest.Harness { return openWith(tb, false) }

// openJournaled opens a store that journals read audits, as serve does.
func openJournaled(tb testing.TB) *storetest.Harness { return openWith(tb, true) }

func openWith(tb testing.TB, journaled bool) *storetest.Harness {
	tb.Helper()
	dir := tb.TempDir()
	master, _, err := keyring.LoadOrCreateMasterFile(filepath.Join(dir, "master.key"), true)
	if err != nil {
		tb.Fatal(err)
	}
	dataDir := filepath.Join(dir, "data")
	var opts []sqlstore.Option
	if journaled {
		opts = append(opts, sqlstore.WithAuditJournal(dataDir))
	}
	db, err := sqlite.Open(context.Background(), dataDir, master, nil, opts...)
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
		JournaledReads: journaled,
		Undo007:        undo007,
		Store:          db.Store,
		Raw:            raw,
		Rebind:         sqlite.Dialect().Rebind,
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
			next, err := sqlite.Open(context.Background(), dataDir, master, nil, opts...)
			if err != nil {
				tb.Fatal(err)
			}
			current = next
			return next.Store
		},
	}
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestConformanceJournaled runs the suite again with read audits going
// through the audit journal.
func TestConformanceJournaled(t *testing.T) { storetest.Run(t, openJournaled) }

// TestWrongMasterKey opens a store with another master key: the open must
// fail plainly, before anything is written to the database file.
func TestWrongMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	right, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	wrong, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(ctx, dir, right, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	sub := storetest.MustSubject(t, db.Store, a, "ada@example.com", "Ada")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, sqlite.FileName)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fiBefore, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	other, err := sqlite.Open(ctx, dir, wrong, nil)
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		if other != nil {
			other.Close()
		}
		t.Fatalf("open with a wrong master key: %v, want ErrWrongMasterKey", err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fiAfter, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) || !fiAfter.ModTime().Equal(fiBefore.ModTime()) {
		t.Fatalf("a refused open changed %s (mtime %v -> %v)", sqlite.FileName, fiBefore.ModTime(), fiAfter.ModTime())
	}

	// The right key still opens it, with the data intact.
	db, err = sqlite.Open(ctx, dir, right, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Subject(ctx, a, sub.ID); err != nil {
		t.Fatalf("read after the refused open: %v", err)
	}
}

// undo007 puts subjects and blind indexes back in their shape before
// migration 007: a WITHOUT ROWID subjects table with no seq, and no
// subject_seq in subject_lookups.
const undo007 = `
CREATE TABLE subjects_v6 (
  tenant_id TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, key_version INTEGER NOT NULL,
  wrapped_key BLOB NOT NULL, profile BLOB NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO subjects_v6 SELECT tenant_id, id, kind, key_version, wrapped_key, profile, created_at, updated_at FROM subjects;
DROP TABLE subjects;
ALTER TABLE subjects_v6 RENAME TO subjects;
CREATE INDEX subjects_key_version ON subjects (tenant_id, key_version);
ALTER TABLE subject_lookups DROP COLUMN subject_seq;
DELETE FROM steward_migrations WHERE version = 7;
`
