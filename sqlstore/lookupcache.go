package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stewardhq/steward"
)

// lookupCache remembers which subject a blind index pointed to, as the
// number of its row (subjects.seq), so that a find reads one B-tree (on
// SQLite the table's, by rowid) instead of three (the blind index, the
// index of ids, the table). It is a hint, never trusted: a find that hits
// reads that row of the tenant's, opens the subject and checks that its
// normalised email or username is the one asked for, and falls back to
// the database's index otherwise. So entries left stale by another
// process's update or erasure, by a row number given again after an
// erasure, by a collision of the 64-bit keys, or by anything else, cost one
// extra read and are dropped; they are never answered. Entries hold keyed
// hashes and row numbers only, never a personal value.
type lookupCache struct {
	seed maphash.Seed
	mu   sync.RWMutex
	m    map[uint64]int64
	// outcomes counts finds by what the cache did for them.
	outcomes *prometheus.CounterVec
}

// maxLookupEntries bounds the cache: about 35 bytes an entry with the
// map's slack, so at most about 110 MB. Past it, new hints are not kept;
// finds of those values take the database's index, as they would anyway.
const maxLookupEntries = 3 << 20

func newLookupCache() *lookupCache {
	return &lookupCache{seed: maphash.MakeSeed(), m: map[uint64]int64{},
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "steward_lookup_cache_finds_total",
			Help: "Finds by what the lookup cache did: hit (answered from its hint), stale (its hint was checked and dropped), miss.",
		}, []string{"outcome"}),
	}
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

func (c *lookupCache) get(k uint64) (seq int64, ok bool) {
	c.mu.RLock()
	seq, ok = c.m[k]
	c.mu.RUnlock()
	return seq, ok
}

func (c *lookupCache) put(k uint64, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || len(c.m) < maxLookupEntries {
		c.m[k] = seq
	}
}

// putIfAbsent adds an entry unless one is there, for warming: whatever a
// write put meanwhile is newer.
func (c *lookupCache) putIfAbsent(k uint64, seq int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxLookupEntries {
		return false
	}
	if _, ok := c.m[k]; !ok {
		c.m[k] = seq
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
func (s *Store) putLookups(tenant string, seq int64, lookups map[string][]byte) {
	for kind, h := range lookups {
		if h != nil {
			s.lookups.put(s.lookups.key(tenant, kind, h), seq)
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
// from the start and not only once each subject has been found once. It
// rests three times as long as it works, so it takes at most a quarter of a core
// from the requests being served meanwhile.
func (s *Store) warmLookups(stop <-chan struct{}) {
	groups, err := s.lookupGroups()
	if err != nil {
		s.log.Warn("warm the lookup cache", "err", err)
		return
	}
	q := s.d.rebind(`SELECT hash, subject_seq FROM subject_lookups WHERE tenant_id = ? AND kind = ? AND hash > ? ORDER BY hash LIMIT ?`)
	began := time.Now()
	// Said when done, so that an operator (or a benchmark) knows from when
	// on finds no longer share the machine with the warming.
	warmed := func() {
		s.log.Info("lookup cache warmed", "entries", s.lookups.len(), "took", time.Since(began).Round(time.Millisecond).String())
	}
	for _, g := range groups {
		after := []byte{} // Below every hash; nil would compare as NULL.
		for {
			start := time.Now()
			n, full, err := s.warmPage(q, g[0], g[1], &after)
			if err != nil {
				s.log.Warn("warm the lookup cache", "err", err)
				return
			}
			if full {
				warmed()
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Since(start)):
			}
			if n < warmPage {
				break
			}
		}
	}
	warmed()
}

// warmPage is how many lookups one warming query reads.
var warmPage = 5000

// lookupGroups lists the (tenant, kind) pairs the lookup index may hold.
func (s *Store) lookupGroups() ([][2]string, error) {
	rows, err := s.rdb.QueryContext(context.Background(), `SELECT id FROM tenants ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var tenant string
		if err := rows.Scan(&tenant); err != nil {
			return nil, err
		}
		out = append(out, [2]string{tenant, lookupEmail}, [2]string{tenant, lookupUsername})
	}
	return out, rows.Err()
}

func (s *Store) warmPage(q, tenant, kind string, after *[]byte) (n int, full bool, err error) {
	rows, err := s.rdb.QueryContext(context.Background(), q, tenant, kind, bytes.Clone(*after), warmPage)
	if err != nil {
		return 0, false, err
	}
	defer rows.Close()
	var hash sql.RawBytes // Valid until Next: no copy.
	var seq int64
	for rows.Next() {
		if err := rows.Scan(&hash, &seq); err != nil {
			return n, false, err
		}
		n++
		if !s.lookups.putIfAbsent(s.lookups.key(tenant, kind, hash), seq) {
			return n, true, nil
		}
		*after = append((*after)[:0], hash...)
	}
	return n, false, rows.Err()
}

// findCached answers a find from the cache's hint, or says it could not.
func (s *Store) findCached(ctx context.Context, a steward.Actor, kind, value string, k uint64) (*steward.Subject, bool) {
	seq, ok := s.lookups.get(k)
	if !ok {
		s.lookups.outcomes.WithLabelValues("miss").Inc()
		return nil, false
	}
	ss, err := scanSealed(s.stmts.subjectAt.QueryRowContext(pointCtx(ctx), seq, a.TenantID))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			s.lookups.drop(k) // Erased, perhaps by another process.
			s.lookups.outcomes.WithLabelValues("stale").Inc()
		}
		return nil, false
	}
	sub, _, err := s.open(ctx, a.TenantID, ss)
	if err != nil || !hasLookupValue(&sub.Profile, kind, value) {
		s.lookups.drop(k)
		s.lookups.outcomes.WithLabelValues("stale").Inc()
		return nil, false
	}
	s.lookups.outcomes.WithLabelValues("hit").Inc()
	return sub, true
}

// hasLookupValue reports whether a profile's email or username is value.
// Both are stored normalised, as value is, so they compare as they are.
func hasLookupValue(p *steward.Profile, kind, value string) bool {
	var f *steward.Field[string]
	switch kind {
	case lookupEmail:
		f = p.Email
	case lookupUsername:
		f = p.Username
	}
	return f != nil && f.Value == value
}
