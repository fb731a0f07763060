package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stewardhq/steward/keyring"
)

// primaryTTL bounds how long a node keeps using a tenant key version after
// another process rotated it; the old version stays valid until a rotation
// has re-wrapped everything, so staleness costs nothing but a retry.
const primaryTTL = 10 * time.Second

type tenantKeyID struct {
	tenant  string
	version int
}

type primaryEntry struct {
	key     *keyring.TenantKey
	fetched time.Time
}

// keyCache holds unwrapped tenant and blind-index keys in memory. Subject
// data keys are never cached: each use unwraps them, so erasure takes
// effect at once.
type keyCache struct {
	s       *Store
	mu      sync.RWMutex
	tenant  map[tenantKeyID]*keyring.TenantKey
	primary map[string]primaryEntry
	index   map[string]*keyring.IndexKey
}

func newKeyCache(s *Store) *keyCache {
	return &keyCache{s: s, tenant: map[tenantKeyID]*keyring.TenantKey{}, primary: map[string]primaryEntry{}, index: map[string]*keyring.IndexKey{}}
}

// tenantKey returns one version of a tenant's key.
func (c *keyCache) tenantKey(ctx context.Context, tenant string, version int) (*keyring.TenantKey, error) {
	id := tenantKeyID{tenant, version}
	c.mu.RLock()
	k := c.tenant[id]
	c.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	var wrapped []byte
	err := c.s.rdb.QueryRowContext(ctx, c.s.d.rebind(`SELECT wrapped FROM tenant_keys WHERE tenant_id = ? AND version = ?`), tenant, version).Scan(&wrapped)
	if err != nil {
		return nil, fmt.Errorf("load tenant key version %d: %w", version, err)
	}
	raw, err := c.s.unwrapMaster(wrapped, keyring.TenantKeyAD(tenant, version))
	if err != nil {
		return nil, fmt.Errorf("unwrap tenant key: %w", err)
	}
	k, err = keyring.NewTenantKey(tenant, version, raw)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tenant[id] = k
	c.mu.Unlock()
	return k, nil
}

// primaryKey returns the tenant key version new subject keys are wrapped
// with.
func (c *keyCache) primaryKey(ctx context.Context, tenant string) (*keyring.TenantKey, error) {
	c.mu.RLock()
	e, ok := c.primary[tenant]
	c.mu.RUnlock()
	if ok && time.Since(e.fetched) < primaryTTL {
		return e.key, nil
	}
	var version int
	err := c.s.rdb.QueryRowContext(ctx, c.s.d.rebind(`SELECT version FROM tenant_keys WHERE tenant_id = ? AND is_primary = 1`), tenant).Scan(&version)
	if err != nil {
		return nil, fmt.Errorf("find primary tenant key: %w", err)
	}
	k, err := c.tenantKey(ctx, tenant, version)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.primary[tenant] = primaryEntry{key: k, fetched: time.Now()}
	c.mu.Unlock()
	return k, nil
}

// forgetPrimary drops a cached primary version after a write found it gone.
func (c *keyCache) forgetPrimary(tenant string) {
	c.mu.Lock()
	delete(c.primary, tenant)
	c.mu.Unlock()
}

// indexKey returns a tenant's blind-index key. It never rotates with the
// tenant key: rotating it would need every plaintext value.
func (c *keyCache) indexKey(ctx context.Context, tenant string) (*keyring.IndexKey, error) {
	c.mu.RLock()
	k := c.index[tenant]
	c.mu.RUnlock()
	if k != nil {
		return k, nil
	}
	var wrapped []byte
	err := c.s.rdb.QueryRowContext(ctx, c.s.d.rebind(`SELECT index_key FROM tenants WHERE id = ?`), tenant).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tenant %s has no index key", tenant)
	}
	if err != nil {
		return nil, err
	}
	raw, err := c.s.unwrapMaster(wrapped, keyring.IndexKeyAD(tenant))
	if err != nil {
		return nil, fmt.Errorf("unwrap index key: %w", err)
	}
	k = keyring.NewIndexKey(raw)
	c.mu.Lock()
	c.index[tenant] = k
	c.mu.Unlock()
	return k, nil
}
