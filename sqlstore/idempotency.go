package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
)

// idemRecord is an Idempotency-Key as stored: the key and the request
// fingerprint are keyed hashes, since both may be derived from personal data.
type idemRecord struct {
	keyHash, fingerprint []byte
}

func newIdemRecord(ik *keyring.IndexKey, idem *steward.Idempotency) *idemRecord {
	if idem == nil {
		return nil
	}
	return &idemRecord{
		keyHash:     ik.Blind("idempotency-key", idem.Key),
		fingerprint: ik.Blind("idempotency-fingerprint", string(idem.Fingerprint)),
	}
}

// lookup returns the resource a previous request with this key created, or
// "" when the key is new.
func (r *idemRecord) lookup(ctx context.Context, tx *Tx, tenant string) (string, error) {
	if r == nil {
		return "", nil
	}
	var fp []byte
	var resource string
	err := tx.QueryRow(ctx, `SELECT fingerprint, resource_id FROM idempotency_keys WHERE tenant_id = ? AND key_hash = ?`, tenant, r.keyHash).Scan(&fp, &resource)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", internal("read idempotency key", err)
	}
	if !bytes.Equal(fp, r.fingerprint) {
		return "", steward.Errorf(steward.EIdempotencyMismatch, "Idempotency-Key", "this Idempotency-Key was already used for a different request")
	}
	return resource, nil
}

func (r *idemRecord) save(ctx context.Context, tx *Tx, tenant, resource string) error {
	if r == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key_hash, fingerprint, resource_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		tenant, r.keyHash, r.fingerprint, resource, micros(tx.Now))
	if err != nil {
		if tx.d.IsUniqueViolation(err) {
			return steward.Errorf(steward.EConflict, "Idempotency-Key", "a request with this Idempotency-Key is being processed; retry shortly")
		}
		return internal("save idempotency key", err)
	}
	return nil
}
