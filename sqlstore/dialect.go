package sqlstore

import (
	"io/fs"
	"strconv"
	"strings"
)

// Dialect is what differs between the SQL engines Steward runs on. Queries
// are written once with ? placeholders and rebound per dialect.
type Dialect struct {
	Name string
	// Numbered rewrites ? placeholders to $1, $2, … (PostgreSQL).
	Numbered bool
	// ForUpdate and ForShare are appended to SELECTs that lock rows; empty
	// where the engine serialises writers anyway (SQLite).
	ForUpdate, ForShare string
	// CacheStatements makes the writer prepare each statement once on its
	// connection; pgx caches prepared statements by itself.
	CacheStatements bool
	// Migrations holds NNN_name.sql files applied in order.
	Migrations fs.FS
	// MigrationLock, if set, is run inside the migration transaction first
	// so concurrent nodes migrate one at a time.
	MigrationLock string
	// TableExists returns a query with one ? parameter (the table name) that
	// yields a row when the table exists.
	TableExists string
	// IsUniqueViolation reports a unique-constraint error.
	IsUniqueViolation func(error) bool
	// IsRetryable reports serialization failures and deadlocks, after which
	// the whole transaction may be run again.
	IsRetryable func(error) bool
}

// rebind rewrites ? placeholders for dialects that number them. Steward's
// queries never contain ? inside string literals.
// Rebind is rebind for callers outside the package, such as tests that
// reach into the database directly.
func (d *Dialect) Rebind(q string) string { return d.rebind(q) }

func (d *Dialect) rebind(q string) string {
	if !d.Numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
