package httpapi

import (
	"testing"
	"time"

	"golang.org/x/time/rate"
)

func TestLimiterSet(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	t.Run("AllowThenLimit", func(t *testing.T) {
		ls := newLimiterSet(rate.Limit(2), 2)
		for i := range 2 {
			if _, ok := ls.allow("k", now); !ok {
				t.Fatalf("request %d refused within the burst", i)
			}
		}
		wait, ok := ls.allow("k", now)
		if ok || wait <= 0 || wait > time.Second {
			t.Fatalf("third request: wait %v, ok %v", wait, ok)
		}
		// A refused request must not consume a token.
		if _, ok := ls.allow("k", now.Add(500*time.Millisecond)); !ok {
			t.Error("refill after 0.5s at 2/s should allow one request")
		}
		if _, ok := ls.allow("other", now); !ok {
			t.Error("keys must not share a bucket")
		}
	})
	t.Run("WouldAllowDoesNotCharge", func(t *testing.T) {
		ls := newLimiterSet(rate.Limit(1), 1)
		for range 5 {
			if _, ok := ls.wouldAllow("ip", now); !ok {
				t.Fatal("wouldAllow must not take tokens")
			}
		}
		ls.take("ip", now)
		if wait, ok := ls.wouldAllow("ip", now); ok || wait <= 0 {
			t.Errorf("after take: wait %v, ok %v", wait, ok)
		}
	})
	t.Run("IdleEntriesSwept", func(t *testing.T) {
		ls := newLimiterSet(rate.Limit(10), 50)
		for _, k := range []string{"a", "b", "c"} {
			ls.take(k, now)
		}
		if ls.len() != 3 {
			t.Fatalf("len = %d", ls.len())
		}
		ls.take("d", now.Add(sweepEvery+time.Second))
		if ls.len() != 1 {
			t.Errorf("after a sweep len = %d, want 1", ls.len())
		}
	})
}
