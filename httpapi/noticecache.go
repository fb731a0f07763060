package httpapi

import (
	"sync"
	"time"
)

// noticeTTL bounds how long a rendered notice is reused. Rendering costs
// milliseconds and the pages are public, so without reuse anyone could make
// the server render them in a loop; a policy change is announced a notice
// period ahead, so a minute of reuse changes nothing a reader can tell.
const noticeTTL = time.Minute

// maxCachedNotices bounds the cache; past it, it starts over.
const maxCachedNotices = 10000

type noticeKey struct {
	tenant   string
	markdown bool
}

type renderedNotice struct {
	body        []byte
	contentType string
	expires     time.Time
}

// noticeCache keeps rendered privacy notices. An entry expires after
// noticeTTL or when the next scheduled version takes effect, whichever is
// first, and a publication through this server forgets the tenant's
// entries at once.
type noticeCache struct {
	mu sync.Mutex
	m  map[noticeKey]renderedNotice
}

func (c *noticeCache) get(k noticeKey, now time.Time) (renderedNotice, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n, ok := c.m[k]
	if !ok || !now.Before(n.expires) {
		return renderedNotice{}, false
	}
	return n, true
}

func (c *noticeCache) put(k noticeKey, n renderedNotice) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedNotices {
		c.m = map[noticeKey]renderedNotice{}
	}
	c.m[k] = n
}

// forget drops a tenant's rendered notices after it published a version.
func (c *noticeCache) forget(tenant string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, noticeKey{tenant, false})
	delete(c.m, noticeKey{tenant, true})
}
