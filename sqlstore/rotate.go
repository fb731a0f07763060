package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
)

// rotateBatch is how many subject keys one rotation transaction re-wraps, so
// the server's writes interleave with a long rotation.
const rotateBatch = 500

// rotatePause is the rest between rotation batches. On SQLite a rotation
// run by another process competes for the one write lock with a busy-wait
// that is not fair, so without a pause the server's writes could stall for
// the whole rotation.
const rotatePause = 20 * time.Millisecond

// RotateTenantKeys gives each tenant a new primary key version, re-wraps
// every subject data key under it (the data keys, and so all ciphertext,
// stay the same), and deletes the old versions once nothing uses them. A
// rotation that stops midway leaves both versions in place, so every
// subject stays readable; running it again finishes the job.
func (s *Store) RotateTenantKeys(ctx context.Context, progress func(done, total int)) (*steward.RotationReport, error) {
	tenants, err := s.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	report := &steward.RotationReport{}
	var total int
	if err := s.rdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM subjects`).Scan(&total); err != nil {
		return nil, internal("count subjects", err)
	}
	done := 0
	for _, t := range tenants {
		newVersion, err := s.startRotation(ctx, t.ID)
		if err != nil {
			return report, err
		}
		next, err := s.keys.tenantKey(ctx, t.ID, newVersion)
		if err != nil {
			return report, internal("new tenant key", err)
		}
		for {
			n, err := s.rewrapBatch(ctx, t.ID, next, false)
			if err != nil {
				return report, err
			}
			done += n
			report.SubjectsRewrapped += n
			if progress != nil {
				progress(done, total)
			}
			if n < rotateBatch {
				break
			}
			select {
			case <-ctx.Done():
				return report, ctx.Err()
			case <-time.After(rotatePause):
			}
		}
		// Final pass: re-wrap stragglers written with the old version while
		// the rotation ran, then destroy the old versions, in one commit.
		n, err := s.rewrapBatch(ctx, t.ID, next, true)
		if err != nil {
			return report, err
		}
		report.SubjectsRewrapped += n
		report.Tenants++
		s.keys.forgetPrimary(t.ID)
	}
	return report, nil
}

// startRotation makes a new primary version, or resumes an interrupted
// rotation whose newest version is already primary and older ones remain.
func (s *Store) startRotation(ctx context.Context, tenant string) (int, error) {
	var version int
	err := s.w.do(ctx, func(tx *Tx) error {
		var maxVersion, versions int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0), COUNT(*) FROM tenant_keys WHERE tenant_id = ?`, tenant).Scan(&maxVersion, &versions); err != nil {
			return internal("read tenant keys", err)
		}
		if versions > 1 {
			version = maxVersion // Resume.
			return nil
		}
		version = maxVersion + 1
		if _, err := tx.Exec(ctx, `UPDATE tenant_keys SET is_primary = 0 WHERE tenant_id = ?`, tenant); err != nil {
			return internal("demote tenant key", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO tenant_keys (tenant_id, version, wrapped, is_primary, created_at) VALUES (?, ?, ?, 1, ?)`,
			tenant, version, s.master.Load().Wrap(keyring.NewKey(), keyring.TenantKeyAD(tenant, version)), micros(tx.Now))
		if err != nil {
			return internal("insert tenant key", err)
		}
		return nil
	})
	return version, err
}

// rewrapBatch re-wraps up to rotateBatch subject keys not yet under next.
// With finish set it re-wraps all that remain and deletes the old versions.
func (s *Store) rewrapBatch(ctx context.Context, tenant string, next *keyring.TenantKey, finish bool) (int, error) {
	n := 0
	err := s.w.do(ctx, func(tx *Tx) error {
		n = 0
		if finish {
			// Lock the old versions first, so no write can start using
			// one between the last re-wrap and the delete.
			if _, err := tx.Exec(ctx, `UPDATE tenant_keys SET is_primary = 0 WHERE tenant_id = ? AND version <> ?`, tenant, next.Version); err != nil {
				return internal("lock old tenant keys", err)
			}
		}
		q := `SELECT id, key_version, wrapped_key FROM subjects WHERE tenant_id = ? AND key_version <> ? ORDER BY id LIMIT ?`
		limit := rotateBatch
		if finish {
			limit = 1 << 30
		}
		rows, err := tx.Query(ctx, q, tenant, next.Version, limit)
		if err != nil {
			return internal("select subject keys", err)
		}
		type item struct {
			id      string
			version int
			wrapped []byte
		}
		var items []item
		for rows.Next() {
			var it item
			if err := rows.Scan(&it.id, &it.version, &it.wrapped); err != nil {
				rows.Close()
				return internal("scan subject key", err)
			}
			items = append(items, it)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return internal("select subject keys", err)
		}
		for _, it := range items {
			old, err := s.keys.tenantKey(ctx, tenant, it.version)
			if err != nil {
				return internal("old tenant key", err)
			}
			dek, err := old.UnwrapSubjectKey(it.id, it.wrapped)
			if err != nil {
				return internal(fmt.Sprintf("unwrap subject key of %s", it.id), err)
			}
			rewrapped := next.WrapSubjectKey(it.id, dek)
			clear(dek)
			if _, err := tx.Exec(ctx, `UPDATE subjects SET key_version = ?, wrapped_key = ? WHERE tenant_id = ? AND id = ? AND key_version = ?`,
				next.Version, rewrapped, tenant, it.id, it.version); err != nil {
				return internal("rewrap subject key", err)
			}
			n++
		}
		if finish {
			if _, err := tx.Exec(ctx, `DELETE FROM tenant_keys WHERE tenant_id = ? AND version <> ?`, tenant, next.Version); err != nil {
				return internal("delete old tenant keys", err)
			}
		}
		return nil
	})
	return n, err
}
