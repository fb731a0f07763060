package postgres_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/pgtest"
	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/postgres"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

// schemaURL returns the test database URL with a fresh schema as its
// search_path, so each test starts empty and tests run in parallel.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	return pgtest.SchemaURL(tb, "steward_test")
}

func open(tb testing.TB) *storetest.Harness {
	tb.Helper()
	dsn := schemaURL(tb)
	master, _, err := keyring.LoadOrCreateMasterFile(filepath.Join(tb.TempDir(), "master.key"), true)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := postgres.Open(context.Background(), dsn, master, nil)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	current := db
	tb.Cleanup(func() {
		raw.Close()
		current.Close()
	})
	return &storetest.Harness{
		Undo007: undo007,
		Store:   db.Store,
		Raw:     raw,
		Rebind:  postgres.Dialect().Rebind,
		Dump: func(tb testing.TB) []byte {
			current.Close()
			return dumpTables(tb, raw)
		},
		Reopen: func(tb testing.TB) *sqlstore.Store {
			current.Close()
			next, err := postgres.Open(context.Background(), dsn, master, nil)
			if err != nil {
				tb.Fatal(err)
			}
			current = next
			return next.Store
		},
	}
}

// dumpTables reads every row of every table in the schema as text, the way
// pg_dump would show it.
func dumpTables(tb testing.TB, db *sql.DB) []byte {
	tb.Helper()
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name`)
	if err != nil {
		tb.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var t string
		rows.Scan(&t)
		tables = append(tables, t)
	}
	rows.Close()
	var out []byte
	for _, t := range tables {
		var dump sql.NullString
		q := fmt.Sprintf(`SELECT string_agg(t::text, E'\n') FROM %q t`, t)
		if err := db.QueryRow(q).Scan(&dump); err != nil {
			tb.Fatalf("dump %s: %v", t, err)
		}
		out = append(out, dump.String...)
		// Bytea columns render as hex in text form: add the raw bytes too.
		brows, err := db.Query(fmt.Sprintf(`SELECT * FROM %q`, t))
		if err != nil {
			tb.Fatal(err)
		}
		cols, _ := brows.Columns()
		for brows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			brows.Scan(ptrs...)
			for _, v := range vals {
				switch x := v.(type) {
				case []byte:
					out = append(out, x...)
				case string:
					out = append(out, x...)
				}
			}
		}
		brows.Close()
	}
	return out
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

// TestWrongMasterKey opens a store with another master key: the open must
// fail plainly, before any migration or other write runs.
func TestWrongMasterKey(t *testing.T) {
	ctx := context.Background()
	dsn := schemaURL(t)
	right, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	wrong, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(ctx, dsn, right, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	sub := storetest.MustSubject(t, db.Store, a, "ada@example.com", "Ada")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	migrations := func() (n int) {
		if err := raw.QueryRow(`SELECT COUNT(*) FROM steward_migrations`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	countBefore, dumpBefore := migrations(), dumpTables(t, raw)

	other, err := postgres.Open(ctx, dsn, wrong, nil)
	if !errors.Is(err, keyring.ErrWrongMasterKey) {
		if other != nil {
			other.Close()
		}
		t.Fatalf("open with a wrong master key: %v, want ErrWrongMasterKey", err)
	}
	if n := migrations(); n != countBefore {
		t.Fatalf("a refused open changed steward_migrations from %d to %d rows", countBefore, n)
	}
	if !bytes.Equal(dumpTables(t, raw), dumpBefore) {
		t.Fatalf("a refused open changed the database")
	}

	db, err = postgres.Open(ctx, dsn, right, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Subject(ctx, a, sub.ID); err != nil {
		t.Fatalf("read after the refused open: %v", err)
	}
}

// TestTwoNodes runs two stores on one database, as two steward nodes do:
// both write to the same tenant's log at once, one rotates the keys while
// the other keeps creating with its cached (now old) key version, and
// afterwards everything is readable and the log verifies from either node.
func TestTwoNodes(t *testing.T) {
	ctx := context.Background()
	dsn := schemaURL(t)
	master, _, err := keyring.GenerateMaster()
	if err != nil {
		t.Fatal(err)
	}
	var nodes [2]*postgres.DB
	for i := range nodes {
		if nodes[i], err = postgres.Open(ctx, dsn, master, nil); err != nil {
			t.Fatal(err)
		}
		defer nodes[i].Close()
	}
	a, _ := storetest.MustTenant(t, nodes[0].Store, "Acme")
	// Warm node 1's caches (tenant key version 1 as primary).
	storetest.MustSubject(t, nodes[1].Store, a, "warm@example.com", "Warm")

	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make([]error, 2*workers)
	for n := range nodes {
		for w := range workers {
			wg.Go(func() {
				s := nodes[n].Store
				for i := range each {
					in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm,
						Email: &steward.Field[string]{Value: fmt.Sprintf("n%d.w%d.%d@example.com", n, w, i)}}
					sub, err := in.Subject(time.Now())
					if err == nil {
						sub, _, err = s.CreateSubject(ctx, a, sub, nil)
					}
					if err == nil {
						// Read through the other node.
						_, err = nodes[1-n].Subject(ctx, a, sub.ID)
					}
					if err != nil {
						errs[n*workers+w] = err
						return
					}
				}
			})
		}
	}
	// Node 0 rotates while both write.
	if _, err := nodes[0].RotateTenantKeys(ctx, nil); err != nil {
		t.Fatalf("rotate: %v", err)
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	// Node 1 still caches version 1 as primary: its next create must
	// notice the rotation rather than use a destroyed key.
	late := storetest.MustSubject(t, nodes[1].Store, a, "late@example.com", "Late")
	if _, err := nodes[0].Subject(ctx, a, late.ID); err != nil {
		t.Fatalf("read of a subject created with a stale primary: %v", err)
	}
	raw, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var subjects, oldVersion, versions int
	raw.QueryRow(`SELECT COUNT(*) FROM subjects`).Scan(&subjects)
	raw.QueryRow(`SELECT COUNT(*) FROM subjects WHERE key_version <> (SELECT MAX(version) FROM tenant_keys)`).Scan(&oldVersion)
	raw.QueryRow(`SELECT COUNT(*) FROM tenant_keys`).Scan(&versions)
	if want := 2*workers*each + 2; subjects != want || oldVersion != 0 || versions != 1 {
		t.Fatalf("%d subjects (want %d), %d under an old key, %d key versions", subjects, want, oldVersion, versions)
	}
	for _, n := range nodes {
		storetest.MustVerify(t, n.Store)
		cp, err := n.Checkpoint(ctx, a.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		// The warm-up create, a create and a read per worker subject, and
		// the late subject's create and read.
		if want := int64(1 + 2*2*workers*each + 2); cp.Size != want {
			t.Fatalf("log size %d, want %d", cp.Size, want)
		}
	}
}

// undo007 takes away what migration 007 added: the row numbers of
// subjects and of their blind index entries.
const undo007 = `
ALTER TABLE subject_lookups DROP COLUMN subject_seq;
DROP INDEX subjects_seq;
ALTER TABLE subjects DROP COLUMN seq;
DELETE FROM steward_migrations WHERE version = 7;
`
