package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/keyring"
)

// tokenPrefix starts every API key so leaked keys are easy to recognise in
// code and logs scanners.
const tokenPrefix = "stw_"

// CreateTenant creates a tenant with its first tenant key and its blind-index
// key, each wrapped by the master key.
func (s *Store) CreateTenant(ctx context.Context, name string) (*steward.Tenant, error) {
	name, err := steward.ValidateTenantName(name)
	if err != nil {
		return nil, err
	}
	t := &steward.Tenant{ID: steward.NewID("ten"), Name: name}
	tenantKey := keyring.NewKey()
	indexKey := keyring.NewKey()
	err = s.w.do(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.Now
		if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, name, index_key, created_at) VALUES (?, ?, ?, ?)`,
			t.ID, t.Name, s.master.Load().Wrap(indexKey, keyring.IndexKeyAD(t.ID)), micros(tx.Now)); err != nil {
			return internal("insert tenant", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tenant_keys (tenant_id, version, wrapped, is_primary, created_at) VALUES (?, 1, ?, 1, ?)`,
			t.ID, s.master.Load().Wrap(tenantKey, keyring.TenantKeyAD(t.ID, 1)), micros(tx.Now)); err != nil {
			return internal("insert tenant key", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Tenants lists every tenant, oldest first. Ids sort by creation time only
// to the millisecond, so the commit time orders first.
func (s *Store) Tenants(ctx context.Context) ([]*steward.Tenant, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, created_at FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, internal("list tenants", err)
	}
	defer rows.Close()
	var out []*steward.Tenant
	for rows.Next() {
		var t steward.Tenant
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &created); err != nil {
			return nil, internal("scan tenant", err)
		}
		t.CreatedAt = fromMicros(created)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// Tenant returns one tenant. ENotFound for an unknown id.
func (s *Store) Tenant(ctx context.Context, id string) (*steward.Tenant, error) {
	t := steward.Tenant{ID: id}
	var created int64
	err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT name, created_at FROM tenants WHERE id = ?`), id).Scan(&t.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, steward.Errorf(steward.ENotFound, "tenant", "no such tenant")
	}
	if err != nil {
		return nil, internal("find tenant", err)
	}
	t.CreatedAt = fromMicros(created)
	return &t, nil
}

func (s *Store) tenantExists(ctx context.Context, q rowQuerier, tenantID string) error {
	var one int
	err := q.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = ?`, tenantID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return steward.Errorf(steward.ENotFound, "tenant", "no such tenant")
	}
	if err != nil {
		return internal("find tenant", err)
	}
	return nil
}

// CreateAPIKey issues a key; only the SHA-256 of its 256-bit secret is
// stored (a slow hash adds nothing to a random secret of that size).
func (s *Store) CreateAPIKey(ctx context.Context, tenantID, name string) (*steward.APIKey, string, error) {
	if name == "" {
		name = "default"
	}
	name, err := steward.ValidateTenantName(name)
	if err != nil {
		return nil, "", err
	}
	secret := make([]byte, 32)
	rand.Read(secret)
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(token))
	k := &steward.APIKey{ID: steward.NewID("key"), TenantID: tenantID, Name: name}
	err = s.w.do(ctx, func(tx *Tx) error {
		if err := s.tenantExists(ctx, tx, tenantID); err != nil {
			return err
		}
		k.CreatedAt = tx.Now
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (tenant_id, id, name, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			tenantID, k.ID, k.Name, hash[:], micros(tx.Now))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return k, token, nil
}

// APIKeys lists a tenant's keys, oldest first.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]*steward.APIKey, error) {
	if err := s.tenantExists(ctx, dbQuerier{s.rdb, s.d}, tenantID); err != nil {
		return nil, err
	}
	rows, err := s.rdb.QueryContext(ctx, s.d.rebind(`SELECT id, name, created_at, revoked_at FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id`), tenantID)
	if err != nil {
		return nil, internal("list api keys", err)
	}
	defer rows.Close()
	var out []*steward.APIKey
	for rows.Next() {
		k := &steward.APIKey{TenantID: tenantID}
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&k.ID, &k.Name, &created, &revoked); err != nil {
			return nil, internal("scan api key", err)
		}
		k.CreatedAt = fromMicros(created)
		if revoked.Valid {
			t := fromMicros(revoked.Int64)
			k.RevokedAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a key. Revocation holds from the next request on, in
// every process: a store that remembers authenticated keys (see KeyEpoch)
// forgets them when the revocation is announced.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, keyID string) error {
	err := s.w.do(ctx, func(tx *Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL`, micros(tx.Now), tenantID, keyID)
		if err != nil {
			return internal("revoke api key", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM api_keys WHERE tenant_id = ? AND id = ?`, tenantID, keyID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return steward.Errorf(steward.ENotFound, "key", "no such API key")
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := s.auth.revoked(); err != nil {
		// The revocation holds in the database; processes that remember
		// the key forget it when their entries expire.
		s.log.Error("announce key revocation", "err", err)
		return internal("announce key revocation", err)
	}
	return nil
}

var errBadToken = steward.Errorf(steward.EUnauthorized, "", "the API key is missing, malformed, unknown or revoked")

// Authenticate finds the live key a token belongs to.
func (s *Store) Authenticate(ctx context.Context, token string) (*steward.APIKey, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) != len(tokenPrefix)+43 {
		return nil, errBadToken
	}
	hash := sha256.Sum256([]byte(token))
	cached, epoch, trusted := s.auth.get(hash)
	if cached != nil {
		return cached, nil
	}
	var k steward.APIKey
	var stored []byte
	var created int64
	err := s.stmts.apiKey.QueryRowContext(pointCtx(ctx), hash[:]).Scan(&k.ID, &k.TenantID, &k.Name, &stored, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadToken
	}
	if err != nil {
		return nil, internal("authenticate", err)
	}
	if subtle.ConstantTimeCompare(stored, hash[:]) != 1 {
		return nil, errBadToken
	}
	k.CreatedAt = fromMicros(created)
	if trusted {
		s.auth.put(hash, &k, epoch)
	}
	return &k, nil
}
