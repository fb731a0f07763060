package sqlstore

import (
	"context"
	"database/sql"
	"errors"
)

// readStatements are the hot read queries, prepared once per pool so the
// engine does not parse them on every request.
type readStatements struct {
	subject, subjectAt, find, tombstone, apiKey *sql.Stmt
}

const subjectColumns = `s.id, s.kind, s.key_version, s.wrapped_key, s.profile, s.created_at, s.updated_at, s.seq`

func (r *readStatements) prepare(ctx context.Context, db *sql.DB, d *Dialect) error {
	var err error
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = db.PrepareContext(ctx, d.rebind(q))
		return st
	}
	r.subject = prep(`SELECT ` + subjectColumns + ` FROM subjects s WHERE s.tenant_id = ? AND s.id = ?`)
	// By row number: on SQLite a search of the table's rowid B-tree alone.
	r.subjectAt = prep(`SELECT ` + subjectColumns + ` FROM subjects s WHERE s.seq = ? AND s.tenant_id = ?`)
	// By id, not by subject_seq: that column only warms the lookup cache,
	// whose every hint is checked, so a wrong one may cost a read but must
	// never make a subject unfindable.
	r.find = prep(`SELECT ` + subjectColumns + ` FROM subject_lookups l JOIN subjects s ON s.tenant_id = l.tenant_id AND s.id = l.subject_id WHERE l.tenant_id = ? AND l.kind = ? AND l.hash = ?`)
	r.tombstone = prep(`SELECT erased_at FROM subject_tombstones WHERE tenant_id = ? AND subject_id = ?`)
	r.apiKey = prep(`SELECT k.id, k.tenant_id, k.name, k.secret_hash, k.created_at FROM api_keys k WHERE k.secret_hash = ? AND k.revoked_at IS NULL`)
	return err
}

// pointCtx strips cancellation from a context for single-row lookups: the
// SQLite driver starts a watcher goroutine for every query whose context
// can be cancelled, which costs more than the lookup itself.
func pointCtx(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

func (r *readStatements) close() error {
	var errs []error
	for _, st := range []*sql.Stmt{r.subject, r.subjectAt, r.find, r.tombstone, r.apiKey} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	return errors.Join(errs...)
}
