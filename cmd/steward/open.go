package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/postgres"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/sqlstore"
)

// storeFlags are the flags of every command that opens the store directly.
type storeFlags struct {
	data       string
	database   string
	masterFile string
	masterKey  string
	// journalReads makes the embedded store journal read audits (serve
	// only: the journal belongs to the process answering reads).
	journalReads bool
}

func (sf *storeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&sf.data, "data", "./steward-data", "data directory of the embedded store (and of the master key file by default)")
	fs.StringVar(&sf.database, "database", "", "PostgreSQL URL (postgres://…); empty means the embedded SQLite store in --data")
	fs.StringVar(&sf.masterFile, "master-key-file", "", "master key file (default DATA/master.key, created on first start)")
	fs.StringVar(&sf.masterKey, "master-key", "", "master key value itself (prefer STEWARD_MASTER_KEY over the flag)")
}

// openedStore is a store with its closer.
type openedStore struct {
	*sqlstore.Store
	close func() error
}

// open loads the master key and opens the configured store. If the key
// does not open the store but a rotated key waits beside it (a master key
// rotation that stopped after its commit, before the key file was
// replaced), that key is used and the rotation finished.
func (sf *storeFlags) open(ctx context.Context, log *slog.Logger) (*openedStore, error) {
	master, err := sf.loadMaster(log)
	if err != nil {
		return nil, err
	}
	st, err := sf.openWith(ctx, master, log)
	if !errors.Is(err, keyring.ErrWrongMasterKey) || sf.masterKey != "" {
		return st, err
	}
	next, _, nerr := keyring.LoadOrCreateMasterFile(sf.masterPath()+nextSuffix, false)
	if nerr != nil {
		return nil, err
	}
	st, err = sf.openWith(ctx, next, log)
	if err != nil {
		return nil, err
	}
	if err := sf.finishMasterRotation(); err != nil {
		st.close()
		return nil, err
	}
	log.Warn("finished an interrupted master key rotation", "path", sf.masterPath())
	return st, nil
}

// nextSuffix names the new master key file during a rotation.
const nextSuffix = ".next"

func (sf *storeFlags) openWith(ctx context.Context, master *keyring.Master, log *slog.Logger) (*openedStore, error) {
	var opts []sqlstore.Option
	if sf.masterKey == "" {
		opts = append(opts, sqlstore.WithMasterReload(sf.reloadMaster))
	}
	if sf.database != "" {
		if !strings.HasPrefix(sf.database, "postgres://") && !strings.HasPrefix(sf.database, "postgresql://") {
			return nil, fmt.Errorf("--database must be a postgres:// URL")
		}
		db, err := postgres.Open(ctx, sf.database, master, log, opts...)
		if err != nil {
			return nil, err
		}
		return &openedStore{Store: db.Store, close: db.Close}, nil
	}
	if sf.journalReads {
		opts = append(opts, sqlstore.WithAuditJournal(sf.data))
	}
	db, err := sqlite.Open(ctx, sf.data, master, log, opts...)
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: db.Store, close: db.Close}, nil
}

// masterPath is the master key file's path.
func (sf *storeFlags) masterPath() string {
	if sf.masterFile != "" {
		return sf.masterFile
	}
	return filepath.Join(sf.data, "master.key")
}

// reloadMaster reads the master key file again, for a server whose key was
// rotated by another process: the rotated key is in the file, or still
// beside it while the rotation finishes.
func (sf *storeFlags) reloadMaster() (*keyring.Master, error) {
	if m, _, err := keyring.LoadOrCreateMasterFile(sf.masterPath()+nextSuffix, false); err == nil {
		return m, nil
	}
	m, _, err := keyring.LoadOrCreateMasterFile(sf.masterPath(), false)
	return m, err
}

// finishMasterRotation moves the new key file over the old one.
func (sf *storeFlags) finishMasterRotation() error {
	path := sf.masterPath()
	if err := os.Rename(path+nextSuffix, path); err != nil {
		return fmt.Errorf("install the rotated master key: %w", err)
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (sf *storeFlags) loadMaster(log *slog.Logger) (*keyring.Master, error) {
	if sf.masterKey != "" {
		return keyring.ParseMaster(sf.masterKey)
	}
	path := sf.masterPath()
	// A store that exists without its key must not get a new one: the
	// new key could never open it, and creating it would alter the data
	// directory.
	create := true
	if sf.database == "" && sf.masterFile == "" {
		if _, err := os.Stat(filepath.Join(sf.data, sqlite.FileName)); err == nil {
			if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s holds a store but no master key file at %s; supply the key with --master-key-file or STEWARD_MASTER_KEY", sf.data, path)
			}
		}
	}
	if sf.masterFile != "" {
		create = false // A key file named explicitly must exist.
	}
	m, created, err := keyring.LoadOrCreateMasterFile(path, create)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created a new master key; back it up: without it the data cannot be read", "path", path)
	}
	return m, nil
}

func newLogger(e *env, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: l})), nil
}
