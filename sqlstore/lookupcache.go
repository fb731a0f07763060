package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/stewardhq/steward"
)

// lookupCache remembers which subject a blind index pointed to, so that a
// find reads one B-tree (the subject, by id) instead of two. It is a hint,
// never trusted: a find that hits opens the subject and checks that its
// normalised email or username is the one asked for, and falls back to the
// database's index otherwise. So entries left stale by another process's
// update or erasure, by a collision of the 64-bit keys, or by anything else,
// cost one extra read and are dropped; they are never answered. Entries
// hold keyed hashes and ids only, never a personal value.
type lookupCache struct {
	seed maphash.Seed
	mu   sync.RWMutex
	m    map[uint64][16]byte
}

// maxLookupEntries bounds the cache: about 50 bytes an entry with the
// map's slack, so at most about 150 MB. Past it, new hints are not kept;
// finds of those values take the database's index, as they would anyway.
const maxLookupEntries = 3 << 20

func newLookupCache() *lookupCache {
	return &lookupCache{seed: maphash.MakeSeed(), m: map[uint64][16]byte{}}
}

func (c *lookupCache) key(tenant, kind string, blind []byte) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	h.WriteString(tenant)
	h.WriteByte(0)
	h.WriteString(kind)
	h.WriteByte(0)
	h.Write(blind)
	return h.Sum64()
}

func (c *lookupCache) get(k uint64) (string, bool) {
	c.mu.RLock()
	b, ok := c.m[k]
	c.mu.RUnlock()
	if !ok {
		return "", false
	}
	return steward.IDFromBytes("sub", b), true
}

func (c *lookupCache) put(k uint64, subjectID string) {
	b, ok := steward.IDBytes("sub", subjectID)
	if !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || len(c.m) < maxLookupEntries {
		c.m[k] = b
	}
}

// putIfAbsent adds an entry unless one is there, for warming: whatever a
// write put meanwhile is newer.
func (c *lookupCache) putIfAbsent(k uint64, b [16]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLookupEntries {
		return false
	}
	if _, ok := c.m[k]; !ok {
		c.m[k] = b
	}
	return true
}

func (c *lookupCache) drop(k uint64) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// LookupCacheSize returns how many blind index → subject hints the store
// holds (see lookupCache).
func (s *Store) LookupCacheSize() int { return s.lookups.len() }

func (c *lookupCache) len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// putLookups remembers a subject's blind indexes after a commit.
func (s *Store) putLookups(tenant, subjectID string, lookups map[string][]byte) {
	for kind, h := range lookups {
		if h != nil {
			s.lookups.put(s.lookups.key(tenant, kind, h), subjectID)
		}
	}
}

// dropLookups forgets blind indexes a commit removed.
func (s *Store) dropLookups(tenant string, lookups map[string][]byte) {
	for kind, h := range lookups {
		if h != nil {
			s.lookups.drop(s.lookups.key(tenant, kind, h))
		}
	}
}

// warmLookups loads the whole lookup index into the cache in the
// background after the store opens, a page at a time, so finds are fast
// from the start and not only once each subject has been found once.
func (s *Store) warmLookups(stop <-chan struct{}) {
	const page = 5000
	tenant, kind, hash := "", "", []byte{} // Below every key; nil would compare as NULL.
	q := s.d.rebind(`SELECT tenant_id, kind, hash, subject_id FROM subject_lookups
		WHERE (tenant_id, kind, hash) > (?, ?, ?) ORDER BY tenant_id, kind, hash LIMIT ?`)
	for {
		select {
		case <-stop:
			return
		default:
		}
		start := time.Now()
		n, full, err := s.warmPage(q, &tenant, &kind, &hash, page)
		if err != nil {
			s.log.Warn("warm the lookup cache", "err", err)
			return
		}
		if n < page || full {
			return
		}
		// Rest as long as the page took: warming takes at most half a
		// core from the requests being served meanwhile.
		select {
		case <-stop:
			return
		case <-time.After(time.Since(start)):
		}
	}
}

func (s *Store) warmPage(q string, tenant, kind *string, hash *[]byte, page int) (n int, full bool, err error) {
	rows, err := s.rdb.QueryContext(context.Background(), q, *tenant, *kind, *hash, page)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var subject string
	for rows.Next() {
		if err := rows.Scan(tenant, kind, hash, &subject); err != nil {
			return n, false, err
		}
		n++
		b, ok := steward.IDBytes("sub", subject)
		if !ok {
			continue
		}
		if !s.lookups.putIfAbsent(s.lookups.key(*tenant, *kind, *hash), b) {
			return n, true, nil
		}
	}
	return n, false, rows.Err()
}

// findCached answers a find from the cache's hint, or says it could not.
func (s *Store) findCached(ctx context.Context, a steward.Actor, kind, value string, k uint64) (*steward.Subject, bool) {
	id, ok := s.lookups.get(k)
	if !ok {
		return nil, false
	}
	ss, err := scanSealed(s.stmts.subject.QueryRowContext(pointCtx(ctx), a.TenantID, id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			s.lookups.drop(k) // Erased, perhaps by another process.
		}
		return nil, false
	}
	sub, _, err := s.open(ctx, a.TenantID, ss)
	if err != nil || !hasLookupValue(&sub.Profile, kind, value) {
		s.lookups.drop(k)
		return nil, false
	}
	return sub, true
}

// hasLookupValue reports whether a profile's normalised email or username
// is value (already normalised).
func hasLookupValue(p *steward.Profile, kind, value string) bool {
	var f *steward.Field[string]
	var norm func(string) (string, error)
	switch kind {
	case lookupEmail:
		f, norm = p.Email, steward.NormalizeEmail
	case lookupUsername:
		f, norm = p.Username, steward.NormalizeUsername
	}
	if f == nil || norm == nil {
		return false
	}
	v, err := norm(f.Value)
	return err == nil && v == value
}
