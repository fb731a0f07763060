package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"
)

// migrate applies the dialect's numbered migrations that have not run yet,
// each in its own transaction. Some rewrite a table, which takes a while on
// a large store (007 about 30 s for a million subjects), so each one
// applied is logged.
func migrate(ctx context.Context, db *sql.DB, d *Dialect, log *slog.Logger) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS steward_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	names, err := fs.Glob(d.Migrations, "*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := fs.ReadFile(d.Migrations, name)
		if err != nil {
			return err
		}
		start := time.Now()
		applied, err := applyMigration(ctx, db, d, version, name, string(body), log)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if applied {
			log.Info("applied schema migration", "name", name, "took", time.Since(start).Round(time.Millisecond))
		}
	}
	return nil
}

func applyMigration(ctx context.Context, db *sql.DB, d *Dialect, version int, name, body string, log *slog.Logger) (applied bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if d.MigrationLock != "" {
		if _, err := tx.ExecContext(ctx, d.MigrationLock); err != nil {
			return false, err
		}
	}
	var one int
	err = tx.QueryRowContext(ctx, d.rebind(`SELECT 1 FROM steward_migrations WHERE version = ?`), version).Scan(&one)
	if err == nil {
		return false, nil
	}
	if err != sql.ErrNoRows {
		return false, err
	}
	log.Info("applying schema migration", "name", name)
	for _, stmt := range splitStatements(body) {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, fmt.Errorf("%w in: %s", err, stmt)
		}
	}
	if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO steward_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
		version, name, time.Now().UnixMicro()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// splitStatements splits a migration on semicolons that end a line.
func splitStatements(body string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "--") || trimmed == "" {
			continue
		}
		cur.WriteString(line)
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSpace(cur.String()))
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}
