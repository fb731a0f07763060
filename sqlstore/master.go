package sqlstore

import (
	"context"
	"errors"

	"github.com/stewardhq/steward/keyring"
)

// unwrapMaster unwraps a secret wrapped by the master key. If another
// process rotated the master key, the secret may be wrapped by a key this
// process has not loaded yet: reload it once and retry.
func (s *Store) unwrapMaster(wrapped []byte, ad keyring.AD) ([]byte, error) {
	raw, err := s.master.Load().Unwrap(wrapped, ad)
	if err == nil || s.reload == nil || !errors.Is(err, keyring.ErrDecrypt) {
		return raw, err
	}
	next, rerr := s.reload()
	if rerr != nil {
		return nil, err
	}
	raw, err = next.Unwrap(wrapped, ad)
	if err != nil {
		return nil, err
	}
	s.master.Store(next)
	s.log.Info("master key reloaded after a rotation")
	return raw, nil
}

// MasterRotationReport says what a master key rotation re-wrapped.
type MasterRotationReport struct {
	TenantKeys int  `json:"tenant_keys"`
	IndexKeys  int  `json:"index_keys"`
	Resumed    bool `json:"resumed"`
}

// RotateMaster re-wraps every secret the master key protects (tenant keys,
// blind-index keys, the audit signing key and the key check) under next, in
// one transaction: the store is under the old key or the new one, never
// half of each. Nothing under the tenant keys changes, so no subject data is
// touched. A rotation already done with next is reported as resumed.
func (s *Store) RotateMaster(ctx context.Context, next *keyring.Master) (*MasterRotationReport, error) {
	rep := &MasterRotationReport{}
	err := s.w.do(ctx, func(tx *Tx) error {
		*rep = MasterRotationReport{}
		var check []byte
		if err := tx.QueryRow(ctx, `SELECT value FROM steward_meta WHERE name = ?`, "key_check").Scan(&check); err != nil {
			return internal("read key check", err)
		}
		if next.VerifyCheckValue(check) == nil {
			rep.Resumed = true // Already rotated to next.
			return nil
		}
		old := s.master.Load()
		rewrap := func(what string, wrapped []byte, ad keyring.AD) ([]byte, error) {
			raw, err := old.Unwrap(wrapped, ad)
			if err != nil {
				return nil, internal("unwrap "+what, err)
			}
			defer clear(raw)
			return next.Wrap(raw, ad), nil
		}
		type row struct {
			tenant  string
			version int
			wrapped []byte
		}
		var rows []row
		q, err := tx.Query(ctx, `SELECT tenant_id, version, wrapped FROM tenant_keys`)
		if err != nil {
			return internal("read tenant keys", err)
		}
		for q.Next() {
			var r row
			if err := q.Scan(&r.tenant, &r.version, &r.wrapped); err != nil {
				q.Close()
				return internal("scan tenant key", err)
			}
			rows = append(rows, r)
		}
		q.Close()
		for _, r := range rows {
			w, err := rewrap("tenant key", r.wrapped, keyring.TenantKeyAD(r.tenant, r.version))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE tenant_keys SET wrapped = ? WHERE tenant_id = ? AND version = ?`, w, r.tenant, r.version); err != nil {
				return internal("rewrap tenant key", err)
			}
			rep.TenantKeys++
		}
		rows = rows[:0]
		q, err = tx.Query(ctx, `SELECT id, index_key FROM tenants`)
		if err != nil {
			return internal("read index keys", err)
		}
		for q.Next() {
			var r row
			if err := q.Scan(&r.tenant, &r.wrapped); err != nil {
				q.Close()
				return internal("scan index key", err)
			}
			rows = append(rows, r)
		}
		q.Close()
		for _, r := range rows {
			w, err := rewrap("index key", r.wrapped, keyring.IndexKeyAD(r.tenant))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE tenants SET index_key = ? WHERE id = ?`, w, r.tenant); err != nil {
				return internal("rewrap index key", err)
			}
			rep.IndexKeys++
		}
		var signing []byte
		signingAD := keyring.Bind("audit-signing-key")
		if err := tx.QueryRow(ctx, `SELECT value FROM steward_meta WHERE name = ?`, "audit_signing_key").Scan(&signing); err != nil {
			return internal("read audit signing key", err)
		}
		w, err := rewrap("audit signing key", signing, signingAD)
		if err != nil {
			return err
		}
		for name, value := range map[string][]byte{"audit_signing_key": w, "key_check": next.CheckValue()} {
			if _, err := tx.Exec(ctx, `UPDATE steward_meta SET value = ? WHERE name = ?`, value, name); err != nil {
				return internal("rewrap "+name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.master.Store(next)
	return rep, nil
}
