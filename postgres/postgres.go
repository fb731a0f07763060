// Package postgres is Steward's scale store: PostgreSQL through pgx. Many
// stateless steward nodes may share one database; per-tenant audit heads
// are row-locked in tenant order, and batches that meet a serialization
// failure or deadlock are run again whole.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // Registers the "pgx" database/sql driver.
	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Dialect describes PostgreSQL to the shared store.
func Dialect() *sqlstore.Dialect {
	sub, _ := fs.Sub(migrations, "migrations")
	return &sqlstore.Dialect{
		Name:              "postgres",
		Numbered:          true,
		ForUpdate:         " FOR UPDATE",
		ForShare:          " FOR SHARE",
		Migrations:        sub,
		MigrationLock:     `SELECT pg_advisory_xact_lock(727761)`,
		TableExists:       `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
		IsUniqueViolation: func(err error) bool { return pgCode(err) == "23505" },
		IsRetryable: func(err error) bool {
			c := pgCode(err)
			return c == "40001" || c == "40P01"
		},
	}
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// DB is an open PostgreSQL store.
type DB struct {
	*sqlstore.Store
	pool *sql.DB
}

// Open connects to the database at url and migrates it.
func Open(ctx context.Context, url string, master *keyring.Master, log *slog.Logger, opts ...sqlstore.Option) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	cfg := sqlstore.Config{Dialect: Dialect(), Writer: pool, Reader: pool, Master: master, Logger: log}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{Store: st, pool: pool}, nil
}

// Close drains the writer and closes the pool.
func (db *DB) Close() error {
	return errors.Join(db.Store.Close(), db.pool.Close())
}
