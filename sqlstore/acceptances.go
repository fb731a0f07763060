package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

var _ policy.AcceptanceStore = (*Store)(nil)

const acceptanceColumns = `id, subject_id, version, accepted_at, recorded_at, source`

// acceptanceFields names what an acceptance touches in audit entries.
var acceptanceFields = []string{"policy_acceptance"}

// RecordAcceptance stores one acceptance. The subject, the version and the
// time are all checked inside the transaction that writes the row and its
// audit entry, so a refusal stores nothing.
func (s *Store) RecordAcceptance(ctx context.Context, a steward.Actor, subjectID string, version int, acceptedAt time.Time, source string, idem *steward.Idempotency) (*policy.Acceptance, bool, error) {
	if !steward.ValidID("sub", subjectID) {
		return nil, false, steward.Errorf(steward.ENotFound, "id", "no subject with this id")
	}
	if version < 0 {
		return nil, false, steward.Errorf(steward.EInvalid, "version", "version must be a policy version of this tenant (0 is the default)")
	}
	if err := policy.CheckAcceptanceSource(source); err != nil {
		return nil, false, err
	}
	ik, err := s.keys.indexKey(ctx, a.TenantID)
	if err != nil {
		return nil, false, internal("index key", err)
	}
	rec := newIdemRecord(ik, idem)
	acc := &policy.Acceptance{ID: steward.NewID("acc"), SubjectID: subjectID, Version: version, Source: source}
	var replay string
	err = s.w.do(ctx, func(tx *Tx) error {
		replay = ""
		if r, err := rec.lookup(ctx, tx, a.TenantID); err != nil || r != "" {
			replay = r
			return err
		}
		if err := s.lockSubject(ctx, tx, a.TenantID, subjectID, tx.d.ForShare); err != nil {
			return err
		}
		var published time.Time
		if version > 0 {
			var created int64
			err := tx.QueryRow(ctx, `SELECT created_at FROM policy_versions WHERE tenant_id = ? AND version = ?`, a.TenantID, version).Scan(&created)
			if errors.Is(err, sql.ErrNoRows) {
				return steward.Errorf(steward.EInvalid, "version", "this tenant has no policy version %d", version)
			}
			if err != nil {
				return internal("read policy version", err)
			}
			published = fromMicros(created)
		}
		at := tx.Now
		if !acceptedAt.IsZero() {
			at = acceptedAt.UTC().Truncate(time.Microsecond)
		}
		if at.After(tx.Now) {
			return steward.Errorf(steward.EInvalid, "accepted_at", "accepted_at must not be in the future")
		}
		if at.Before(published) {
			return steward.Errorf(steward.EInvalid, "accepted_at", "accepted_at must not be before version %d was published at %s", version, published.Format(time.RFC3339Nano))
		}
		acc.AcceptedAt, acc.RecordedAt = at, tx.Now
		if _, err := tx.Exec(ctx, `INSERT INTO policy_acceptances (tenant_id, id, subject_id, version, accepted_at, recorded_at, source) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.TenantID, acc.ID, subjectID, version, micros(at), micros(tx.Now), source); err != nil {
			return internal("insert policy acceptance", err)
		}
		tx.Audit(auditEntry(a, steward.ActionUpdate, subjectID, append([]string(nil), acceptanceFields...)))
		return rec.save(ctx, tx, a.TenantID, acc.ID)
	})
	if err != nil {
		return nil, false, err
	}
	if replay != "" {
		acc, err := scanAcceptance(s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT `+acceptanceColumns+` FROM policy_acceptances WHERE tenant_id = ? AND id = ?`), a.TenantID, replay))
		return acc, true, err
	}
	return acc, false, nil
}

func scanAcceptance(r rowScanner) (*policy.Acceptance, error) {
	acc := &policy.Acceptance{}
	var at, recorded int64
	if err := r.Scan(&acc.ID, &acc.SubjectID, &acc.Version, &at, &recorded, &acc.Source); err != nil {
		return nil, internal("scan policy acceptance", err)
	}
	acc.AcceptedAt, acc.RecordedAt = fromMicros(at), fromMicros(recorded)
	return acc, nil
}

// Acceptances lists a page of a subject's acceptances, newest accepted_at
// first (ties by id), and audits the read. The cursor is an acceptance id;
// its accepted_at is read back to continue the keyset.
func (s *Store) Acceptances(ctx context.Context, a steward.Actor, subjectID string, p steward.Page) ([]*policy.Acceptance, string, error) {
	p, err := p.NormalizeIDCursor("acc")
	if err != nil {
		return nil, "", err
	}
	if err := s.subjectExists(ctx, a.TenantID, subjectID); err != nil {
		return nil, "", err
	}
	q := `SELECT ` + acceptanceColumns + ` FROM policy_acceptances WHERE tenant_id = ? AND subject_id = ?`
	args := []any{a.TenantID, subjectID}
	if p.After != "" {
		var after int64
		err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT accepted_at FROM policy_acceptances WHERE tenant_id = ? AND subject_id = ? AND id = ?`), a.TenantID, subjectID, p.After).Scan(&after)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, "", steward.Errorf(steward.EInvalid, "after", "cursor is not valid")
		}
		if err != nil {
			return nil, "", internal("read cursor", err)
		}
		q += ` AND (accepted_at < ? OR (accepted_at = ? AND id < ?))`
		args = append(args, after, after, p.After)
	}
	q += ` ORDER BY accepted_at DESC, id DESC LIMIT ?`
	args = append(args, p.Limit+1)
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return nil, "", internal("list policy acceptances", err)
	}
	defer rows.Close()
	out := []*policy.Acceptance{}
	for rows.Next() {
		acc, err := scanAcceptance(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, acc)
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal("list policy acceptances", err)
	}
	out, next := trimPage(out, p.Limit, func(x *policy.Acceptance) string { return x.ID })
	if err := s.auditRead(ctx, auditEntry(a, steward.ActionRead, subjectID, append([]string(nil), acceptanceFields...))); err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// LatestAcceptances lists each subject's latest acceptance, by subject id.
// A row is the latest when no row of the same subject has a later
// accepted_at, or the same one and a greater id; the subject index answers
// that for each row.
func (s *Store) LatestAcceptances(ctx context.Context, a steward.Actor, p steward.Page) ([]*policy.LatestAcceptance, string, error) {
	p, err := p.NormalizeIDCursor("sub")
	if err != nil {
		return nil, "", err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT p.subject_id, p.version, p.accepted_at, p.source FROM policy_acceptances p
		WHERE p.tenant_id = ? AND p.subject_id > ? AND NOT EXISTS (
			SELECT 1 FROM policy_acceptances q WHERE q.tenant_id = p.tenant_id AND q.subject_id = p.subject_id
			AND (q.accepted_at > p.accepted_at OR (q.accepted_at = p.accepted_at AND q.id > p.id)))
		ORDER BY p.subject_id LIMIT ?`), a.TenantID, p.After, p.Limit+1)
	if err != nil {
		return nil, "", internal("list latest acceptances", err)
	}
	defer rows.Close()
	out := []*policy.LatestAcceptance{}
	for rows.Next() {
		l := &policy.LatestAcceptance{}
		var at int64
		if err := rows.Scan(&l.SubjectID, &l.Version, &at, &l.Source); err != nil {
			return nil, "", internal("scan latest acceptance", err)
		}
		l.AcceptedAt = fromMicros(at)
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, "", internal("list latest acceptances", err)
	}
	out, next := trimPage(out, p.Limit, func(x *policy.LatestAcceptance) string { return x.SubjectID })
	if len(out) > 0 {
		entries := make([]*steward.AuditEntry, len(out))
		for i, l := range out {
			entries[i] = auditEntry(a, steward.ActionList, l.SubjectID, append([]string(nil), acceptanceFields...))
		}
		if err := s.auditRead(ctx, entries...); err != nil {
			return nil, "", err
		}
	}
	return out, next, nil
}
