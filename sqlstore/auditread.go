package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// AuditEntries lists a tenant's entries, optionally of one subject.
func (s *Store) AuditEntries(ctx context.Context, tenantID string, f steward.AuditFilter) ([]*steward.AuditEntry, string, error) {
	p, err := f.Page.Normalize()
	if err != nil {
		return nil, "", err
	}
	if err := s.SyncAudit(ctx); err != nil {
		return nil, "", err
	}
	after := int64(-1)
	if p.After != "" {
		after, err = strconv.ParseInt(p.After, 10, 64)
		if err != nil || after < 0 {
			return nil, "", steward.Errorf(steward.EInvalid, "after", "cursor is not valid")
		}
	}
	var out []*steward.AuditEntry
	if f.SubjectID != "" {
		out, err = s.subjectAudit(ctx, tenantID, f.SubjectID, after, p.Limit+1)
	} else {
		var rows *sql.Rows
		rows, err = s.rdb.QueryContext(ctx, s.d.rebind(`SELECT entry FROM audit_log WHERE tenant_id = ? AND idx > ? ORDER BY idx LIMIT ?`), tenantID, after, p.Limit+1)
		if err == nil {
			out, err = scanEntries(rows, "")
		}
	}
	if err != nil {
		return nil, "", internal("list audit", err)
	}
	out, next := trimPage(out, p.Limit, func(x *steward.AuditEntry) string { return strconv.FormatInt(x.Index, 10) })
	return out, next, nil
}

// subjectAudit returns up to limit of a subject's entries after an index,
// found through the index by subject in one snapshot of the store, so that
// a merge finishing meanwhile neither hides nor repeats any.
func (s *Store) subjectAudit(ctx context.Context, tenantID, subjectID string, after int64, limit int) ([]*steward.AuditEntry, error) {
	sqlTx, err := s.rdb.BeginTx(ctx, snapshotRead)
	if err != nil {
		return nil, err
	}
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, d: s.d}
	var out []*steward.AuditEntry
	// Entries of another subject with the same hash are skipped, so more
	// than one round may be needed to fill a page.
	for len(out) < limit {
		need := limit - len(out)
		idxs, capped, err := subjectIndexes(ctx, tx, tenantID, subjectID, after, need)
		if err != nil {
			return nil, err
		}
		if len(idxs) == 0 {
			break
		}
		part := idxs[:min(len(idxs), need)]
		args := []any{tenantID}
		for _, i := range part {
			args = append(args, i)
		}
		q := `SELECT entry, subject_id FROM audit_log WHERE tenant_id = ? AND idx IN (?` + strings.Repeat(", ?", len(part)-1) + `) ORDER BY idx`
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		es, err := scanEntries(rows, subjectID)
		if err != nil {
			return nil, err
		}
		out = append(out, es...)
		if !capped && len(idxs) == len(part) {
			break // Every candidate was looked at.
		}
		after = part[len(part)-1]
	}
	return out, nil
}

// scanEntries decodes rows of (entry) or, when subjectID is set, of
// (entry, subject_id), keeping only that subject's; it closes rows.
func scanEntries(rows *sql.Rows, subjectID string) ([]*steward.AuditEntry, error) {
	defer rows.Close()
	var out []*steward.AuditEntry
	for rows.Next() {
		var data []byte
		var subject string
		dest := []any{&data}
		if subjectID != "" {
			dest = append(dest, &subject)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if subject != subjectID {
			continue
		}
		e, err := auditlog.DecodeEntry(data)
		if err != nil {
			return nil, fmt.Errorf("decode audit entry %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// emptyRoot is the RFC 6962 hash of an empty tree.
var emptyRoot = tlog.Hash(sha256.Sum256(nil))

// Checkpoint returns the tenant's latest signed tree head, signing an empty
// one for a log with no entries yet.
func (s *Store) Checkpoint(ctx context.Context, tenantID string) (*steward.Checkpoint, error) {
	if err := s.SyncAudit(ctx); err != nil {
		return nil, err
	}
	var size int64
	var note string
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT size, checkpoint FROM audit_heads WHERE tenant_id = ?`), tenantID).Scan(&size, &note)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && size == 0) {
		note, err := s.signer.Sign(tenantID, 0, emptyRoot)
		if err != nil {
			return nil, internal("sign checkpoint", err)
		}
		return &steward.Checkpoint{Size: 0, RootHash: emptyRoot[:], Note: note}, nil
	}
	if err != nil {
		return nil, internal("read checkpoint", err)
	}
	n, root, err := auditlog.OpenCheckpoint(note, s.signer.Verifier(), tenantID)
	if err != nil {
		return nil, internal("stored checkpoint", err)
	}
	return &steward.Checkpoint{Size: n, RootHash: root[:], Note: note}, nil
}

// VerifierKey returns the note verifier key for checkpoints.
func (s *Store) VerifierKey() string { return s.signer.VerifierKey() }

func (s *Store) checkSize(ctx context.Context, tenantID string, size int64, field string) error {
	cp, err := s.Checkpoint(ctx, tenantID)
	if err != nil {
		return err
	}
	if size < 1 || size > cp.Size {
		return steward.Errorf(steward.EInvalid, field, "size must be between 1 and the latest checkpoint's size (%d)", cp.Size)
	}
	return nil
}

// InclusionProof returns an entry and the RFC 6962 audit path proving it is
// leaf index of the tree of the given size.
func (s *Store) InclusionProof(ctx context.Context, tenantID string, index, size int64) (*steward.AuditEntry, [][]byte, error) {
	if err := s.checkSize(ctx, tenantID, size, "size"); err != nil {
		return nil, nil, err
	}
	if index < 0 || index >= size {
		return nil, nil, steward.Errorf(steward.EInvalid, "index", "index must be below size")
	}
	var data []byte
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT entry FROM audit_log WHERE tenant_id = ? AND idx = ?`), tenantID, index).Scan(&data)
	if err != nil {
		return nil, nil, internal("read audit entry", err)
	}
	e, err := auditlog.DecodeEntry(data)
	if err != nil {
		return nil, nil, internal("decode audit entry", err)
	}
	proof, err := tlog.ProveRecord(size, index, &dbHashReader{ctx: ctx, db: s.rdb, d: s.d, tenant: tenantID})
	if err != nil {
		return nil, nil, internal("prove inclusion", err)
	}
	return e, hashesToBytes(proof), nil
}

// ConsistencyProof proves the tree of size from is a prefix of the tree of
// size to.
func (s *Store) ConsistencyProof(ctx context.Context, tenantID string, from, to int64) ([][]byte, error) {
	if err := s.checkSize(ctx, tenantID, to, "to"); err != nil {
		return nil, err
	}
	if from < 1 || from > to {
		return nil, steward.Errorf(steward.EInvalid, "from", "from must be between 1 and to")
	}
	proof, err := tlog.ProveTree(to, from, &dbHashReader{ctx: ctx, db: s.rdb, d: s.d, tenant: tenantID})
	if err != nil {
		return nil, internal("prove consistency", err)
	}
	return hashesToBytes(proof), nil
}

func hashesToBytes(hs []tlog.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hs[i][:]
	}
	return out
}
