package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// VerifyAudit recomputes every tenant's log from its entries alone and
// checks it against the latest signed checkpoint and the signed history.
func (s *Store) VerifyAudit(ctx context.Context) ([]steward.AuditVerification, error) {
	if err := s.SyncAudit(ctx); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT id FROM tenants UNION SELECT tenant_id FROM audit_heads UNION SELECT DISTINCT tenant_id FROM audit_log ORDER BY 1`)
	if err != nil {
		return nil, internal("list tenants", err)
	}
	var tenants []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, internal("scan tenant", err)
		}
		tenants = append(tenants, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, internal("list tenants", err)
	}
	out := make([]steward.AuditVerification, 0, len(tenants))
	for _, t := range tenants {
		v, err := s.verifyTenant(ctx, t)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// snapshotRead begins a read-only transaction in which every query sees
// the same committed state.
var snapshotRead = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}

type signedSize struct {
	size int64
	root tlog.Hash
}

// verifyTenant checks one tenant's log. It reads the head, the history and
// the entries in one read-only snapshot, so entries appended while it runs
// (with their new head) are neither half seen nor taken for tampering.
func (s *Store) verifyTenant(ctx context.Context, tenant string) (steward.AuditVerification, error) {
	tx, err := s.rdb.BeginTx(ctx, snapshotRead)
	if err != nil {
		return steward.AuditVerification{}, internal("begin audit snapshot", err)
	}
	defer tx.Rollback()
	return s.verifyTenantTx(ctx, tx, tenant)
}

func (s *Store) verifyTenantTx(ctx context.Context, tx *sql.Tx, tenant string) (steward.AuditVerification, error) {
	v := steward.AuditVerification{TenantID: tenant, FirstBadIndex: -1}
	fail := func(idx int64, format string, args ...any) (steward.AuditVerification, error) {
		v.OK, v.FirstBadIndex, v.Problem = false, idx, fmt.Sprintf(format, args...)
		return v, nil
	}
	// The signed statements the entries must reproduce: the head, and the
	// history of earlier checkpoints.
	var headSize int64
	var headNote string
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT size, checkpoint FROM audit_heads WHERE tenant_id = ?`), tenant).Scan(&headSize, &headNote)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return v, internal("read audit head", err)
	}
	var checks []signedSize
	if headSize > 0 {
		n, root, err := auditlog.OpenCheckpoint(headNote, s.signer.Verifier(), tenant)
		if err != nil {
			return fail(0, "latest checkpoint: %v", err)
		}
		if n != headSize {
			return fail(0, "latest checkpoint says %d entries but the head row says %d", n, headSize)
		}
		checks = append(checks, signedSize{n, root})
	}
	hrows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT size, checkpoint FROM audit_checkpoints WHERE tenant_id = ? ORDER BY size`), tenant)
	if err != nil {
		return v, internal("read checkpoint history", err)
	}
	var history []signedSize
	for hrows.Next() {
		var n int64
		var note string
		if err := hrows.Scan(&n, &note); err != nil {
			hrows.Close()
			return v, internal("scan checkpoint", err)
		}
		cn, root, err := auditlog.OpenCheckpoint(note, s.signer.Verifier(), tenant)
		if err != nil || cn != n {
			hrows.Close()
			return fail(0, "checkpoint of size %d in the history does not verify", n)
		}
		history = append(history, signedSize{n, root})
	}
	hrows.Close()
	if err := hrows.Err(); err != nil {
		return v, internal("read checkpoint history", err)
	}
	checks = append(history, checks...)

	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT idx, entry, hashes FROM audit_log WHERE tenant_id = ? ORDER BY idx`), tenant)
	if err != nil {
		return v, internal("read audit log", err)
	}
	defer rows.Close()
	b := auditlog.NewBuilder()
	var indexed indexDigest // The keys the index by subject must hold.
	// mismatch is the first row whose stored hashes disagree with the ones
	// its entries give; altered is the entry that most likely changed to
	// cause it (see alteredEntry).
	var mismatch, altered int64 = -1, -1
	next := 0 // Next checkpoint to compare.
	prevSize := int64(0)
	for rows.Next() {
		var idx int64
		var data, stored []byte
		if err := rows.Scan(&idx, &data, &stored); err != nil {
			return v, internal("scan audit entry", err)
		}
		if idx != b.Size() {
			return fail(b.Size(), "entry %d is missing", b.Size())
		}
		e, err := auditlog.DecodeEntry(data)
		if err != nil {
			return fail(idx, "entry %d is not a valid audit entry", idx)
		}
		if e.Index != idx || e.TenantID != tenant {
			return fail(idx, "entry %d holds the entry of position %d (tenant %s): rows were moved", idx, e.Index, e.TenantID)
		}
		if e.SubjectID != "" {
			indexed.add(indexKey(e.SubjectID, idx))
		}
		hs, err := b.Append(data)
		if err != nil {
			return v, internal("rebuild tree", err)
		}
		if mismatch < 0 && !bytes.Equal(stored, auditlog.JoinHashes(hs)) {
			mismatch, altered = idx, alteredEntry(idx, stored, hs)
		}
		for next < len(checks) && checks[next].size == b.Size() {
			root, err := b.Root()
			if err != nil {
				return v, internal("tree hash", err)
			}
			if root != checks[next].root {
				// The entries since the last matching checkpoint changed.
				// The stored hashes point at which one, when they were
				// left alone or rewritten for the changed row only.
				bad := prevSize
				switch {
				case altered >= prevSize:
					bad = altered
				case mismatch >= 0 && mismatch < prevSize:
					bad = mismatch // Stored hashes were altered even earlier.
				}
				return fail(bad, "entries %d..%d do not reproduce the checkpoint signed at size %d: entry %d was altered", prevSize, b.Size()-1, b.Size(), bad)
			}
			prevSize = b.Size()
			next++
		}
	}
	if err := rows.Err(); err != nil {
		return v, internal("read audit log", err)
	}
	v.Size = b.Size()
	if next < len(checks) {
		return fail(b.Size(), "the log has %d entries but a checkpoint signed %d: entry %d onwards is missing", b.Size(), checks[len(checks)-1].size, b.Size())
	}
	if mismatch >= 0 {
		// Every entry reproduces the signed roots: only the stored hashes
		// of this row were altered.
		return fail(mismatch, "entry %d does not match its stored tree hashes", mismatch)
	}
	if b.Size() > headSize {
		return fail(headSize, "entries from %d on are not covered by any signed checkpoint", headSize)
	}
	rows.Close()
	bad, problem, err := indexProblem(ctx, &Tx{tx: tx, d: s.d}, tenant, indexed)
	if err != nil {
		return v, internal("check the audit index", err)
	}
	if problem != "" {
		return fail(bad, "%s", problem)
	}
	v.OK = true
	return v, nil
}

// alteredEntry names the entry whose change most likely made row idx, the
// first row whose stored hashes disagree with the recomputed ones (hs),
// disagree. Row idx stores the hashes of the subtrees that end at leaf idx,
// one per level. If the leaf hash itself differs, entry idx changed. If the
// lowest differing hash is that of a level-L subtree, its right half (also
// stored in row idx) still matches and its left half was stored by row
// idx-2^(L-1), which matched too: that row's hashes were rewritten after
// this one was computed, so its entry is the one that changed, with hashes
// recomputed to hide it. (If the entries all reproduce the signed roots,
// the caller blames the stored hashes of row idx instead.)
func alteredEntry(idx int64, stored []byte, hs []tlog.Hash) int64 {
	for level, h := range hs {
		got, ok := auditlog.SplitHash(stored, level)
		if !ok || got != h {
			if level == 0 || !ok {
				return idx
			}
			return idx - 1<<(level-1)
		}
	}
	return idx // Extra bytes after the hashes.
}
