package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// checkpointHistoryEvery is how often a signed checkpoint is also kept in
// the history table, which lets verification narrow down where a log was
// altered.
const checkpointHistoryEvery = time.Second

// appendTenant appends one tenant's entries, signs the new tree head and
// stores it, all in the batch transaction.
func (w *writer) appendTenant(ctx context.Context, tx *Tx, tenant string, entries []*steward.AuditEntry, now time.Time, staged *stagedHashes) error {
	d := w.s.d
	size, historyAt, err := lockHead(ctx, tx, d, tenant)
	if err != nil {
		return err
	}
	r := &batchHashReader{ctx: ctx, q: tx, tenant: tenant, cache: w.hashes, staged: staged}
	// Entries go in with multi-row INSERTs: on SQLite each statement
	// execution costs more than the row it adds.
	args := make([]any, 0, 5*min(len(entries), insertChunk))
	for start := 0; start < len(entries); start += insertChunk {
		chunk := entries[start:min(start+insertChunk, len(entries))]
		args = args[:0]
		for _, e := range chunk {
			e.Index, e.TenantID = size, tenant
			if e.Time.IsZero() {
				e.Time = now // A journaled read keeps the time it was made.
			}
			data := auditlog.EncodeEntry(e)
			hs, err := tlog.StoredHashes(size, data, r)
			if err != nil {
				return fmt.Errorf("audit hashes: %w", err)
			}
			staged.add(tenant, tlog.StoredHashIndex(0, size), hs)
			args = append(args, tenant, size, e.SubjectID, data, auditlog.JoinHashes(hs))
			size++
		}
		if _, err := tx.Exec(ctx, insertEntries(len(chunk)), args...); err != nil {
			return fmt.Errorf("append audit entries: %w", err)
		}
	}
	if err := addRun(ctx, tx, tenant, entries); err != nil {
		return err
	}
	if err := w.compactIndexSometimes(ctx, tx, tenant); err != nil {
		return err
	}
	root, err := tlog.TreeHash(size, r)
	if err != nil {
		return fmt.Errorf("audit tree hash: %w", err)
	}
	note, err := w.s.signer.Sign(tenant, size, root)
	if err != nil {
		return fmt.Errorf("sign checkpoint: %w", err)
	}
	if now.Sub(fromMicros(historyAt)) >= checkpointHistoryEvery {
		historyAt = micros(now)
		if _, err := tx.Exec(ctx, `INSERT INTO audit_checkpoints (tenant_id, size, checkpoint) VALUES (?, ?, ?) ON CONFLICT (tenant_id, size) DO NOTHING`, tenant, size, note); err != nil {
			return fmt.Errorf("store checkpoint history: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_heads SET size = ?, checkpoint = ?, history_at = ? WHERE tenant_id = ?`, size, note, historyAt, tenant); err != nil {
		return fmt.Errorf("update audit head: %w", err)
	}
	return nil
}

// insertChunk is the most entries one INSERT carries.
const insertChunk = 16

var insertEntriesSQL [insertChunk + 1]string

func init() {
	for n := 1; n <= insertChunk; n++ {
		q := `INSERT INTO audit_log (tenant_id, idx, subject_id, entry, hashes) VALUES (?, ?, ?, ?, ?)`
		for i := 1; i < n; i++ {
			q += `, (?, ?, ?, ?, ?)`
		}
		insertEntriesSQL[n] = q
	}
}

// insertEntries returns the INSERT statement for n entries.
func insertEntries(n int) string { return insertEntriesSQL[n] }

// lockHead returns a tenant's log size, creating its head on first use and
// locking it (on engines with row locks) until the batch commits.
func lockHead(ctx context.Context, tx *Tx, d *Dialect, tenant string) (size, historyAt int64, err error) {
	q := `SELECT size, history_at FROM audit_heads WHERE tenant_id = ?` + d.ForUpdate
	err = tx.QueryRow(ctx, q, tenant).Scan(&size, &historyAt)
	if errors.Is(err, sql.ErrNoRows) {
		// First entry of this tenant; another node may be creating the
		// head at the same moment, hence DO NOTHING and read again.
		if _, err := tx.Exec(ctx, `INSERT INTO audit_heads (tenant_id, size, checkpoint, history_at) VALUES (?, 0, '', 0) ON CONFLICT (tenant_id) DO NOTHING`, tenant); err != nil {
			return 0, 0, fmt.Errorf("create audit head: %w", err)
		}
		err = tx.QueryRow(ctx, q, tenant).Scan(&size, &historyAt)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("lock audit head: %w", err)
	}
	return size, historyAt, nil
}

// hashCache keeps, per tenant, the stored hashes on the right edge of the
// tree: the only ones the next append and the next tree hash read. Stored
// hashes never change once written, so an entry is never stale; a miss is
// read from the database (after a restart, or when another node appended).
type hashCache struct {
	mu      sync.Mutex
	tenants map[string]map[int64]tlog.Hash
}

const maxCachedTenants = 10000

func newHashCache() *hashCache { return &hashCache{tenants: map[string]map[int64]tlog.Hash{}} }

func (c *hashCache) get(tenant string, idx int64) (tlog.Hash, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.tenants[tenant][idx]
	return h, ok
}

// put adds one hash read from the database.
func (c *hashCache) put(tenant string, idx int64, h tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tenantLocked(tenant)[idx] = h
}

// tenantLocked returns a tenant's hashes, with c.mu held, making room
// for them.
func (c *hashCache) tenantLocked(tenant string) map[int64]tlog.Hash {
	m := c.tenants[tenant]
	if m == nil {
		if len(c.tenants) >= maxCachedTenants {
			c.tenants = map[string]map[int64]tlog.Hash{}
		}
		m = map[int64]tlog.Hash{}
		c.tenants[tenant] = m
	}
	return m
}

// merge adds hashes of a committed batch and prunes those no longer on the
// edge: once a subtree is complete its children are never read again.
func (c *hashCache) merge(s *stagedHashes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for tenant, hs := range s.tenants {
		m := c.tenantLocked(tenant)
		for idx, h := range hs {
			m[idx] = h
		}
		for idx := range hs {
			level, n := tlog.SplitStoredHashIndex(idx)
			if level > 0 {
				delete(m, tlog.StoredHashIndex(level-1, 2*n))
				delete(m, tlog.StoredHashIndex(level-1, 2*n+1))
			}
		}
	}
}

// stagedHashes holds the hashes a batch computed; they join the cache only
// if the batch commits.
type stagedHashes struct {
	tenants map[string]map[int64]tlog.Hash
}

func newStagedHashes() *stagedHashes { return &stagedHashes{tenants: map[string]map[int64]tlog.Hash{}} }

func (s *stagedHashes) add(tenant string, base int64, hs []tlog.Hash) {
	m := s.tenants[tenant]
	if m == nil {
		m = map[int64]tlog.Hash{}
		s.tenants[tenant] = m
	}
	for i, h := range hs {
		m[base+int64(i)] = h
	}
}

// batchHashReader reads stored hashes for the writer: this batch's, then the
// cache's, then the database's.
type batchHashReader struct {
	ctx    context.Context
	q      rowQuerier
	tenant string
	cache  *hashCache
	staged *stagedHashes
}

func (r *batchHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if h, ok := r.staged.tenants[r.tenant][idx]; ok {
			out[i] = h
			continue
		}
		if h, ok := r.cache.get(r.tenant, idx); ok {
			out[i] = h
			continue
		}
		h, err := readStoredHash(r.ctx, r.q, r.tenant, idx)
		if err != nil {
			return nil, err
		}
		// Stored hashes never change once committed, and this batch's own
		// are staged, not read: keep it. Without this, every batch after a
		// restart read the hashes of the log's older complete subtrees
		// (about one per level) from the database again.
		r.cache.put(r.tenant, idx, h)
		out[i] = h
	}
	return out, nil
}

// rowQuerier runs one-row queries written with ? placeholders.
type rowQuerier interface {
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
}

// dbQuerier is a rowQuerier over a pool.
type dbQuerier struct {
	db *sql.DB
	d  *Dialect
}

func (q dbQuerier) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.db.QueryRowContext(ctx, q.d.rebind(query), args...)
}

func readStoredHash(ctx context.Context, q rowQuerier, tenant string, idx int64) (tlog.Hash, error) {
	leaf, offset := auditlog.Locate(idx)
	var blob []byte
	err := q.QueryRow(ctx, `SELECT hashes FROM audit_log WHERE tenant_id = ? AND idx = ?`, tenant, leaf).Scan(&blob)
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("read stored hash %d: %w", idx, err)
	}
	h, ok := auditlog.SplitHash(blob, offset)
	if !ok {
		return tlog.Hash{}, fmt.Errorf("stored hashes of entry %d are truncated", leaf)
	}
	return h, nil
}

// dbHashReader reads stored hashes for proofs.
type dbHashReader struct {
	ctx    context.Context
	db     *sql.DB
	d      *Dialect
	tenant string
}

func (r *dbHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, err := readStoredHash(r.ctx, dbQuerier{r.db, r.d}, r.tenant, idx)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}
