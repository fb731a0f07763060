package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/stewardhq/steward"
	"golang.org/x/time/rate"
)

// sweepEvery is how often a limiterSet drops idle entries. Sweeping happens
// on access, so a Server owns no goroutine and needs no Close.
const sweepEvery = time.Minute

// limiterSet holds one token bucket per key (an API key id or a client
// address). An entry idle long enough to have refilled completely behaves
// exactly like a new one, so dropping it loses nothing; that bounds the map
// by the keys seen in the last few minutes.
type limiterSet struct {
	limit rate.Limit
	burst int
	idle  time.Duration // Time for an empty bucket to refill.

	mu        sync.Mutex
	entries   map[string]*limiterEntry
	lastSweep time.Time
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiterSet(limit rate.Limit, burst int) *limiterSet {
	idle := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	return &limiterSet{
		limit:   limit,
		burst:   burst,
		idle:    max(idle, time.Second),
		entries: make(map[string]*limiterEntry),
	}
}

// get returns key's limiter, creating it, and sweeps idle entries when due.
// The caller holds mu.
func (ls *limiterSet) get(key string, now time.Time) *rate.Limiter {
	if now.Sub(ls.lastSweep) >= sweepEvery {
		for k, e := range ls.entries {
			if now.Sub(e.seen) > ls.idle {
				delete(ls.entries, k)
			}
		}
		ls.lastSweep = now
	}
	e, ok := ls.entries[key]
	if !ok {
		e = &limiterEntry{lim: rate.NewLimiter(ls.limit, ls.burst)}
		ls.entries[key] = e
	}
	e.seen = now
	return e.lim
}

// allow takes a token for key if one is there; otherwise it reports how
// long until one will be.
func (ls *limiterSet) allow(key string, now time.Time) (time.Duration, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	res := ls.get(key, now).ReserveN(now, 1)
	if !res.OK() {
		return time.Second, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return d, false
	}
	return 0, true
}

// wouldAllow reports whether key has a token, without taking it; failures
// are charged afterwards with take, so successes cost nothing.
func (ls *limiterSet) wouldAllow(key string, now time.Time) (time.Duration, bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	e, ok := ls.entries[key]
	if !ok {
		return 0, true
	}
	tokens := e.lim.TokensAt(now)
	if tokens >= 1 {
		return 0, true
	}
	return time.Duration((1 - tokens) / float64(ls.limit) * float64(time.Second)), false
}

// take charges one token to key. Callers check wouldAllow first, so the
// bucket never goes into debt.
func (ls *limiterSet) take(key string, now time.Time) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.get(key, now).ReserveN(now, 1)
}

// len reports how many keys are tracked, for tests.
func (ls *limiterSet) len() int {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return len(ls.entries)
}

// limitKey applies the per-API-key request rate, when one is configured.
func (s *Server) limitKey(w http.ResponseWriter, keyID string) error {
	if s.keyLimits == nil {
		return nil
	}
	if wait, ok := s.keyLimits.allow(keyID, s.now()); !ok {
		setRetryAfter(w, wait)
		return steward.Errorf(steward.ERateLimited, "", "too many requests for this API key; retry later")
	}
	return nil
}

// setRetryAfter tells the client when to retry, in whole seconds rounded up.
func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int(math.Ceil(wait.Seconds())))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
}
