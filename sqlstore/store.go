// Package sqlstore implements Steward's storage once, over database/sql, for
// every SQL engine Steward runs on. The engine adapters (sqlite, postgres)
// supply a connection, a Dialect and their own numbered migrations; this
// package owns the queries, the group-commit writer, envelope encryption of
// records and the transparency-log audit trail.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"github.com/stewardhq/steward/keyring"
)

// Config wires a Store.
type Config struct {
	Dialect *Dialect
	// Writer carries every write. On SQLite it is a single connection that
	// the group-commit writer owns; on PostgreSQL a pool.
	Writer *sql.DB
	// Reader serves reads; it may be the same pool as Writer.
	Reader *sql.DB
	Master *keyring.Master
	Logger *slog.Logger
	// MaxBatch bounds how many operations share one transaction.
	MaxBatch int
	// ReloadMaster, if set, reads the master key again. A key wrapped by a
	// master key this process does not hold (another process rotated the
	// master key) is retried once with the reloaded key.
	ReloadMaster func() (*keyring.Master, error)
	// AuditJournalDir, if set, is where reads are journaled before they
	// are folded into the audit log (see auditjournal.go).
	AuditJournalDir string
	// AuditJournalRestart: see WithAuditJournalRestart.
	AuditJournalRestart int64
	// JournalDir is where audit journals may be found: journals there that
	// no live process holds are folded into the log when the store opens,
	// whether or not this store journals reads itself.
	JournalDir string
	// KeyEpoch, if set, lets the store remember authenticated API keys
	// until a revocation is announced (see authcache.go).
	KeyEpoch KeyEpoch
}

// Store is Steward's SQL storage. It implements steward.TenantService,
// SubjectService, AuditService and KeyService, and policy.Store.
type Store struct {
	d      *Dialect
	wdb    *sql.DB
	rdb    *sql.DB
	master atomic.Pointer[keyring.Master]
	reload func() (*keyring.Master, error)
	log    *slog.Logger
	keys   *keyCache
	signer *auditlog.Signer
	w      *writer
	aj     *auditJournal // Nil unless reads are journaled.
	auth   *authCache    // Nil unless a KeyEpoch is configured.
	// lookups caches blind index → subject id hints for finds.
	lookups   *lookupCache
	stopWarm  chan struct{}
	warmed    chan struct{}
	closeWarm sync.Once
	stmts     readStatements
	// policies caches parsed policy versions for enforcement.
	policies enforcedCache
}

var (
	_ steward.TenantService  = (*Store)(nil)
	_ steward.SubjectService = (*Store)(nil)
	_ steward.AuditService   = (*Store)(nil)
	_ steward.KeyService     = (*Store)(nil)
)

// Open checks the master key against the store, migrates the schema and
// starts the writer. A wrong master key fails before anything is written.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 512
	}
	s := &Store{d: cfg.Dialect, wdb: cfg.Writer, rdb: cfg.Reader, log: cfg.Logger, reload: cfg.ReloadMaster, auth: newAuthCache(cfg.KeyEpoch),
		lookups: newLookupCache(), stopWarm: make(chan struct{}), warmed: make(chan struct{})}
	s.master.Store(cfg.Master)
	if err := s.checkMasterKey(ctx); err != nil {
		return nil, err
	}
	if err := migrate(ctx, s.wdb, s.d, s.log); err != nil {
		return nil, fmt.Errorf("migrate %s schema: %w", s.d.Name, err)
	}
	if err := s.initMeta(ctx); err != nil {
		return nil, err
	}
	if err := backfillAuditIndex(ctx, s.wdb, s.d); err != nil {
		return nil, fmt.Errorf("index the audit log by subject: %w", err)
	}
	if err := s.stmts.prepare(ctx, s.rdb, s.d); err != nil {
		return nil, fmt.Errorf("prepare queries: %w", err)
	}
	s.keys = newKeyCache(s)
	s.w = newWriter(s, cfg.MaxBatch)
	journals := cfg.JournalDir
	if cfg.AuditJournalDir != "" {
		journals = cfg.AuditJournalDir
	}
	var err error
	if journals != "" {
		err = foldOrphans(ctx, s, journals)
	}
	if err == nil && cfg.AuditJournalDir != "" {
		s.aj, err = openAuditJournal(s, cfg.AuditJournalDir, cfg.AuditJournalRestart)
	}
	if err != nil {
		s.w.close()
		s.stmts.close()
		return nil, err
	}
	go func() {
		defer close(s.warmed)
		s.warmLookups(s.stopWarm)
	}()
	return s, nil
}

// Close stops accepting writes, commits what is queued and closes the
// prepared statements. The caller closes the databases.
func (s *Store) Close() error {
	s.closeWarm.Do(func() { close(s.stopWarm) })
	<-s.warmed
	var jerr error
	if s.aj != nil {
		jerr = s.aj.close()
	}
	s.w.close()
	return errors.Join(jerr, s.stmts.close())
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.PingContext(ctx) }

// Dialect returns the store's dialect name.
func (s *Store) Dialect() string { return s.d.Name }

// checkMasterKey verifies the stored key check value, if the store has one,
// before any migration can alter it.
func (s *Store) checkMasterKey(ctx context.Context) error {
	var one int
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(s.d.TableExists), "steward_meta").Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // A new store: the check value is written after migration.
	}
	if err != nil {
		return fmt.Errorf("inspect store: %w", err)
	}
	var check []byte
	err = s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT value FROM steward_meta WHERE name = ?`), "key_check").Scan(&check)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read key check: %w", err)
	}
	return s.master.Load().VerifyCheckValue(check)
}

// initMeta stores the key check value and the audit signing key on first
// start, and loads the signing key.
func (s *Store) initMeta(ctx context.Context) error {
	skey, _, err := auditlog.GenerateKey()
	if err != nil {
		return err
	}
	signingAD := keyring.Bind("audit-signing-key")
	ins := s.d.rebind(`INSERT INTO steward_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`)
	if _, err := s.wdb.ExecContext(ctx, ins, "key_check", s.master.Load().CheckValue()); err != nil {
		return fmt.Errorf("store key check: %w", err)
	}
	if _, err := s.wdb.ExecContext(ctx, ins, "audit_signing_key", s.master.Load().Wrap([]byte(skey), signingAD)); err != nil {
		return fmt.Errorf("store audit signing key: %w", err)
	}
	// Another process may have won the race to initialise: read back.
	var check, wrapped []byte
	q := s.d.rebind(`SELECT value FROM steward_meta WHERE name = ?`)
	if err := s.wdb.QueryRowContext(ctx, q, "key_check").Scan(&check); err != nil {
		return err
	}
	if err := s.master.Load().VerifyCheckValue(check); err != nil {
		return err
	}
	if err := s.wdb.QueryRowContext(ctx, q, "audit_signing_key").Scan(&wrapped); err != nil {
		return err
	}
	raw, err := s.unwrapMaster(wrapped, signingAD)
	if err != nil {
		return fmt.Errorf("unwrap audit signing key: %w", err)
	}
	s.signer, err = auditlog.NewSigner(string(raw))
	return err
}

// micros and fromMicros convert times to the integer microseconds both
// engines store.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// internal wraps an unexpected error with context; the HTTP layer shows it
// as "internal error" and logs the detail once.
func internal(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }

// Option adjusts a Config an adapter builds.
type Option func(*Config)

// WithMasterReload sets Config.ReloadMaster.
func WithMasterReload(reload func() (*keyring.Master, error)) Option {
	return func(c *Config) { c.ReloadMaster = reload }
}
