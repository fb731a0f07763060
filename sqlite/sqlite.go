// Package sqlite is Steward's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver, in WAL mode with synchronous=FULL so an
// acknowledged write survives a machine crash. One connection writes (the
// group committer batches many requests into each durable commit); a small
// pool reads concurrently.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlstore"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// FileName is the database file inside the data directory.
const FileName = "steward.db"

// Dialect describes SQLite to the shared store.
func Dialect() *sqlstore.Dialect {
	sub, _ := fs.Sub(migrations, "migrations")
	return &sqlstore.Dialect{
		Name:              "sqlite",
		Migrations:        sub,
		CacheStatements:   true,
		TableExists:       `SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`,
		IsUniqueViolation: isUniqueViolation,
		IsRetryable:       isBusy,
	}
}

// DB is an open embedded store.
type DB struct {
	*sqlstore.Store
	writer, reader *sql.DB
}

// Open opens (creating if needed) the store in dir.
func Open(ctx context.Context, dir string, master *keyring.Master, log *slog.Logger, opts ...sqlstore.Option) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, FileName)
	writer, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	reader, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		writer.Close()
		return nil, err
	}
	// Enough readers that concurrent requests rarely wait for a connection;
	// each keeps only a small page cache (see dsn).
	n := max(4, 8*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	cfg := sqlstore.Config{Dialect: Dialect(), Writer: writer, Reader: reader, Master: master, Logger: log, KeyEpoch: newFileEpoch(dir), JournalDir: dir}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := sqlstore.Open(ctx, cfg)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, err
	}
	// The database holds only ciphertext, but it is still nobody else's.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		_ = os.Chmod(f, 0o600)
	}
	return &DB{Store: st, writer: writer, reader: reader}, nil
}

// Close drains the writer and closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.Store.Close(), db.reader.Close(), db.writer.Close())
}

// dsn builds the connection string. secure_delete zeroes freed pages, so an
// erased subject's wrapped key does not linger in the file's free list.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)",
		"foreign_keys(1)", "secure_delete(1)", "temp_store(MEMORY)",
	} {
		q.Add("_pragma", p)
	}
	// Page caches: a reader's cache is emptied whenever another connection
	// has committed since its last read, which under load is every time,
	// so readers keep the default 2 MB. The writer's cache survives its
	// own commits and holds the right edges and hot index pages of every
	// table, but it stays small too: while the database is under 1 GiB, a
	// B-tree rebalance parks a page at the lock-byte page number (past the
	// end of the file), and the commit then sweeps the cache's whole hash
	// table to drop it, at a cost that grows with the cache. 8 MB made
	// creates 15% faster at 20,000 subjects than 96 MB did, changed
	// nothing measurable at 1,000,000, and cut the server's RSS there from
	// 235 to 72 MiB.
	if readOnly {
		q.Add("_pragma", "cache_size(-2000)")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "cache_size(-8192)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isBusy(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	return false
}
