package postgres_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/postgres"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

// EnvURL names the variable holding the test server's URL. Locally the
// tests skip without it; under CI (CI=true) its absence is a failure.
const EnvURL = "STEWARD_TEST_POSTGRES_URL"

// schemaURL returns the test database URL with a fresh schema as its
// search_path, so each test starts empty and tests run in parallel.
func schemaURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set under CI: the PostgreSQL tests must run", EnvURL)
		}
		tb.Skipf("%s not set; skipping PostgreSQL tests", EnvURL)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "steward_test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err == nil {
			admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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
		Store:  db.Store,
		Raw:    raw,
		Rebind: postgres.Dialect().Rebind,
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
	rows, err := db.Query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
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
