package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

var _ policy.Store = (*Store)(nil)

// PublishPolicy stores doc as the tenant's next policy version. The tenant's
// row is locked first, so concurrent publications of one tenant number
// their versions one after the other.
func (s *Store) PublishPolicy(ctx context.Context, tenantID string, doc *policy.Document, effectiveAt time.Time) (*policy.Version, error) {
	if doc == nil {
		return nil, steward.Errorf(steward.EInvalid, "", "there is no policy document")
	}
	// Validate a copy stamped as it will be stored, so the stored bytes are
	// exactly what was checked.
	d := *doc
	d.Version = 0
	at := effectiveAt.UTC()
	d.EffectiveAt = &at
	if ps := policy.Validate(&d); len(ps) > 0 {
		return nil, policy.Problems(ps)
	}
	var v *policy.Version
	err := s.w.do(ctx, func(tx *Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = ?`+tx.d.ForUpdate, tenantID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return steward.Errorf(steward.ENotFound, "tenant", "no such tenant")
		}
		if err != nil {
			return internal("lock tenant", err)
		}
		cur, err := policyAt(ctx, tx, tenantID, tx.Now)
		if err != nil {
			return err
		}
		earliest, err := policy.EarliestEffective(cur.Document, tx.Now)
		if err != nil {
			return internal("notice period of the policy in force", err)
		}
		if at.Before(earliest) {
			return steward.Errorf(steward.EInvalid, "effective_at",
				"effective_at must not be earlier than %s: the policy in force (version %d) promises %s notice before a change",
				earliest.Format(time.RFC3339), cur.Version, cur.Document.Changes.NoticePeriod)
		}
		var last int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM policy_versions WHERE tenant_id = ?`, tenantID).Scan(&last); err != nil {
			return internal("last policy version", err)
		}
		d.Version = last + 1
		prev := defaultVersion()
		if last > 0 {
			if prev, err = scanPolicy(tx.QueryRow(ctx, `SELECT version, document, effective_at, created_at FROM policy_versions
				WHERE tenant_id = ? AND version = ?`, tenantID, last)); err != nil {
				return internal("read the latest policy version", err)
			}
		}
		// Data in a category the new version drops stays stored; it is
		// flagged for disposal by retention, never deleted here.
		for _, c := range policy.Diff(prev.Document, &d).Categories.Removed {
			if _, err := tx.Exec(ctx, `INSERT INTO disposal_flags (tenant_id, id, category, dropped_in_version, effective_at, flagged_at) VALUES (?, ?, ?, ?, ?, ?)`,
				tenantID, steward.NewID("dsp"), c, d.Version, micros(at), micros(tx.Now)); err != nil {
				return internal("insert disposal flag", err)
			}
		}
		b, err := policy.Marshal(&d)
		if err != nil {
			return internal("marshal policy", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO policy_versions (tenant_id, version, document, effective_at, created_at) VALUES (?, ?, ?, ?, ?)`,
			tenantID, d.Version, b, micros(at), micros(tx.Now)); err != nil {
			return internal("insert policy version", err)
		}
		stored := d
		v = &policy.Version{Version: d.Version, EffectiveAt: fromMicros(micros(at)), CreatedAt: fromMicros(micros(tx.Now)), Document: &stored}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// PolicyInForce returns the version in force at the time at.
func (s *Store) PolicyInForce(ctx context.Context, tenantID string, at time.Time) (*policy.Version, error) {
	q := dbQuerier{s.rdb, s.d}
	if err := s.tenantExists(ctx, q, tenantID); err != nil {
		return nil, err
	}
	return policyAt(ctx, q, tenantID, at)
}

// UpcomingPolicy returns the version that replaces the one in force at the
// time at, if one is scheduled.
func (s *Store) UpcomingPolicy(ctx context.Context, tenantID string, at time.Time) (*policy.Version, error) {
	q := dbQuerier{s.rdb, s.d}
	if err := s.tenantExists(ctx, q, tenantID); err != nil {
		return nil, err
	}
	cur, err := policyAt(ctx, q, tenantID, at)
	if err != nil {
		return nil, err
	}
	v, err := scanPolicy(q.QueryRow(ctx, `SELECT version, document, effective_at, created_at FROM policy_versions
		WHERE tenant_id = ? AND effective_at > ? AND version > ? ORDER BY version DESC LIMIT 1`, tenantID, micros(at), cur.Version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// PolicyVersion returns one version; 0 is the built-in default.
func (s *Store) PolicyVersion(ctx context.Context, tenantID string, version int) (*policy.Version, error) {
	q := dbQuerier{s.rdb, s.d}
	if err := s.tenantExists(ctx, q, tenantID); err != nil {
		return nil, err
	}
	if version == 0 {
		return defaultVersion(), nil
	}
	v, err := scanPolicy(q.QueryRow(ctx, `SELECT version, document, effective_at, created_at FROM policy_versions
		WHERE tenant_id = ? AND version = ?`, tenantID, version))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.Errorf(steward.ENotFound, "version", "no such policy version")
	}
	return v, err
}

// PolicyVersions lists a tenant's published versions, oldest first.
func (s *Store) PolicyVersions(ctx context.Context, tenantID string) ([]policy.VersionInfo, error) {
	if err := s.tenantExists(ctx, dbQuerier{s.rdb, s.d}, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT version, effective_at, created_at FROM policy_versions WHERE tenant_id = ? ORDER BY version`), tenantID)
	if err != nil {
		return nil, internal("list policy versions", err)
	}
	defer rows.Close()
	out := []policy.VersionInfo{}
	for rows.Next() {
		var vi policy.VersionInfo
		var eff, created int64
		if err := rows.Scan(&vi.Version, &eff, &created); err != nil {
			return nil, internal("scan policy version", err)
		}
		vi.EffectiveAt, vi.CreatedAt = fromMicros(eff), fromMicros(created)
		out = append(out, vi)
	}
	return out, rows.Err()
}

// PolicyDisposals lists a tenant's disposal flags, oldest first.
func (s *Store) PolicyDisposals(ctx context.Context, tenantID string) ([]policy.DisposalFlag, error) {
	if err := s.tenantExists(ctx, dbQuerier{s.rdb, s.d}, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT id, category, dropped_in_version, effective_at, flagged_at, resolved_at
		FROM disposal_flags WHERE tenant_id = ? ORDER BY flagged_at, id`), tenantID)
	if err != nil {
		return nil, internal("list disposal flags", err)
	}
	defer rows.Close()
	out := []policy.DisposalFlag{}
	for rows.Next() {
		var f policy.DisposalFlag
		var eff, flagged int64
		var resolved sql.NullInt64
		if err := rows.Scan(&f.ID, &f.Category, &f.DroppedInVersion, &eff, &flagged, &resolved); err != nil {
			return nil, internal("scan disposal flag", err)
		}
		f.EffectiveAt, f.FlaggedAt = fromMicros(eff), fromMicros(flagged)
		if resolved.Valid {
			r := fromMicros(resolved.Int64)
			f.ResolvedAt = &r
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, internal("list disposal flags", err)
	}
	return out, nil
}

// policyAt reads the version in force at the time at, or the default.
func policyAt(ctx context.Context, q rowQuerier, tenantID string, at time.Time) (*policy.Version, error) {
	v, err := scanPolicy(q.QueryRow(ctx, `SELECT version, document, effective_at, created_at FROM policy_versions
		WHERE tenant_id = ? AND effective_at <= ? ORDER BY version DESC LIMIT 1`, tenantID, micros(at)))
	if errors.Is(err, sql.ErrNoRows) {
		return defaultVersion(), nil
	}
	return v, err
}

func defaultVersion() *policy.Version {
	return &policy.Version{Document: policy.Default()}
}

// scanPolicy reads one stored version. The stored document was valid when
// it was published; it is decoded, not validated again, so a later change
// to the taxonomy cannot make a version in force unreadable.
func scanPolicy(row *sql.Row) (*policy.Version, error) {
	var v policy.Version
	var b []byte
	var eff, created int64
	if err := row.Scan(&v.Version, &b, &eff, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, internal("read policy version", err)
	}
	d, ps := policy.Decode(b)
	if d == nil || len(ps) > 0 {
		// Not wrapped: Problems unwraps to a client error, and a stored
		// version that cannot be read is the server's fault.
		return nil, fmt.Errorf("decode stored policy version %d: %s", v.Version, policy.Problems(ps).Error())
	}
	v.EffectiveAt, v.CreatedAt = fromMicros(eff), fromMicros(created)
	d.Version, d.EffectiveAt = v.Version, &v.EffectiveAt
	v.Document = d
	return &v, nil
}
