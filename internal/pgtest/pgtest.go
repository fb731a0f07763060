// Package pgtest gives tests a fresh PostgreSQL schema of their own on the
// test server named by STEWARD_TEST_POSTGRES_URL. Locally, tests that need
// it skip when the variable is unset; under CI (CI set) they fail instead,
// so the PostgreSQL tests can never pass by not running.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // The "pgx" database/sql driver.
)

// EnvURL names the variable holding the test server's URL.
const EnvURL = "STEWARD_TEST_POSTGRES_URL"

// BaseURL returns the test server's URL, skipping (or, under CI, failing)
// the test when none is configured.
func BaseURL(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set under CI: the PostgreSQL tests must run", EnvURL)
		}
		tb.Skipf("%s not set; skipping PostgreSQL tests", EnvURL)
	}
	return base
}

// SchemaURL creates a fresh schema and returns the test URL with that
// schema as its search_path, so each test starts empty and tests can run in
// parallel. The schema is dropped when the test ends.
func SchemaURL(tb testing.TB, prefix string) string {
	tb.Helper()
	base := BaseURL(tb)
	b := make([]byte, 6)
	rand.Read(b)
	schema := prefix + "_" + hex.EncodeToString(b)
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
