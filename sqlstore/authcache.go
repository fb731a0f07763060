package sqlstore

import (
	"sync"
	"time"

	"github.com/stewardhq/steward"
)

// KeyEpoch lets the processes sharing a database tell each other that an
// API key was revoked, more cheaply than by reading the key on every
// request. With one configured, a store remembers the keys it has
// authenticated until the epoch changes.
type KeyEpoch interface {
	// Bump announces a revocation. The store calls it after the revocation
	// commits.
	Bump() error
	// Current returns a value that changes whenever any process calls Bump.
	Current() ([2]int64, error)
}

// WithKeyEpoch sets Config.KeyEpoch.
func WithKeyEpoch(e KeyEpoch) Option { return func(c *Config) { c.KeyEpoch = e } }

const (
	// authTTL bounds how long an authenticated key is remembered, whatever
	// the epoch says.
	authTTL = time.Minute
	// maxAuthEntries bounds the memory remembered keys take.
	maxAuthEntries = 10000
)

// authCache remembers live keys by token hash, forgetting them all when the
// key epoch moves. A key read before a revocation is only remembered if the
// epoch has not moved since before that read, so a revocation is never
// missed: either the read saw it, or the epoch moved after the read.
type authCache struct {
	epoch KeyEpoch
	mu    sync.Mutex
	seen  [2]int64
	keys  map[[32]byte]authEntry
}

type authEntry struct {
	key steward.APIKey
	at  time.Time
}

func newAuthCache(e KeyEpoch) *authCache {
	if e == nil {
		return nil
	}
	return &authCache{epoch: e, keys: map[[32]byte]authEntry{}}
}

// get returns a remembered key, and the epoch to pass to put after a miss;
// ok is false when the cache cannot be trusted (the epoch is unreadable).
func (c *authCache) get(hash [32]byte) (key *steward.APIKey, epoch [2]int64, ok bool) {
	if c == nil {
		return nil, epoch, false
	}
	epoch, err := c.epoch.Current()
	if err != nil {
		return nil, epoch, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.seen {
		clear(c.keys)
		c.seen = epoch
	}
	e, hit := c.keys[hash]
	if !hit || time.Since(e.at) > authTTL {
		return nil, epoch, true
	}
	k := e.key
	return &k, epoch, true
}

// put remembers a key read from the database after get returned epoch.
func (c *authCache) put(hash [32]byte, key *steward.APIKey, epoch [2]int64) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if epoch != c.seen {
		return
	}
	if len(c.keys) >= maxAuthEntries {
		clear(c.keys)
	}
	c.keys[hash] = authEntry{key: *key, at: time.Now()}
}

// revoked forgets every key and tells the other processes.
func (c *authCache) revoked() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	clear(c.keys)
	c.mu.Unlock()
	return c.epoch.Bump()
}
