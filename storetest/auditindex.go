package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/sqlstore"
)

// testAuditIndex reads subjects one at a time, so that each read's entry
// is a batch of its own and the index by subject goes through merges at
// several levels, and checks along the way that listing a subject's
// entries gives exactly those the whole log has for it, in order, paged
// or not.
func testAuditIndex(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	var subs []*steward.Subject
	for i := range 4 {
		subs = append(subs, MustSubject(t, h.Store, a, fmt.Sprintf("idx%d@example.com", i), "Indexed"))
	}
	other := MustSubject(t, h.Store, b, "idx0@example.com", "Other tenant")
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 600 {
		// Skewed, so that subjects have very different histories.
		sub := subs[min(rng.IntN(8), len(subs)-1)]
		if _, err := h.Store.Subject(ctx, a, sub.ID); err != nil {
			t.Fatal(err)
		}
		if i%150 == 149 {
			MustIndexMatchLog(t, h.Store, a.TenantID, ids(subs))
		}
	}
	MustIndexMatchLog(t, h.Store, a.TenantID, ids(subs))
	if got := allEntries(t, h.Store, a.TenantID, other.ID); len(got) != 0 {
		t.Fatalf("another tenant's subject lists %d entries", len(got))
	}
	if got := allEntries(t, h.Store, b.TenantID, other.ID); len(got) != 1 || got[0].Action != steward.ActionCreate {
		t.Fatalf("the other tenant's subject lists %v, want its creation", got)
	}
	if got := allEntries(t, h.Store, a.TenantID, "no-such-subject"); len(got) != 0 {
		t.Fatalf("an unknown subject lists %d entries", len(got))
	}
}

// testAuditIndexBackfill throws a tenant's index away, as a log written
// before the index existed would have none, and checks that the next open
// rebuilds it whole.
func testAuditIndexBackfill(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	var ids []string
	for i := range 3 {
		ids = append(ids, MustSubject(t, h.Store, a, fmt.Sprintf("back%d@example.com", i), "Backfilled").ID)
	}
	for i := range 30 {
		if _, err := h.Store.Subject(ctx, a, ids[i%len(ids)]); err != nil {
			t.Fatal(err)
		}
	}
	// Journaled reads are folded first: a log from before the index gets
	// no entries appended by this version until the backfill has started.
	MustVerify(t, h.Store)
	h.exec(t, `DELETE FROM audit_index_chunks`)
	h.exec(t, `DELETE FROM audit_runs`)
	h.exec(t, `DELETE FROM steward_meta WHERE name = 'audit_index:backfilled'`)
	if v := verification(t, h, a.TenantID); v.OK {
		t.Fatalf("a log whose index is gone verifies: %+v", v)
	}
	h.Store = h.Reopen(t)
	MustIndexMatchLog(t, h.Store, a.TenantID, ids)
	MustVerify(t, h.Store)
}

// testAuditIndexConcurrent lists a subject's entries over and over while
// other goroutines read subjects, so that runs are added, merged and
// deleted under the listings: each listing must be in order, without
// repeats, and hold every entry an earlier one held.
func testAuditIndexConcurrent(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	var subs []*steward.Subject
	for i := range 3 {
		subs = append(subs, MustSubject(t, h.Store, a, fmt.Sprintf("conc%d@example.com", i), "Concurrent"))
	}
	stop := make(chan struct{})
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				if _, err := h.Store.Subject(ctx, a, subs[(g+i)%len(subs)].ID); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	defer func() {
		close(stop)
		for range 4 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}()
	seen := map[int64]bool{}
	deadline := time.Now().Add(1500 * time.Millisecond)
	for listings := 0; time.Now().Before(deadline) || listings < 5; listings++ {
		got := map[int64]bool{}
		prev := int64(-1)
		for _, e := range allEntries(t, h.Store, a.TenantID, subs[0].ID) {
			if e.Index <= prev || e.SubjectID != subs[0].ID {
				t.Fatalf("listing %d: entry %d of %s after %d", listings, e.Index, e.SubjectID, prev)
			}
			prev = e.Index
			got[e.Index] = true
		}
		for idx := range seen {
			if !got[idx] {
				t.Fatalf("listing %d lost entry %d that an earlier one had", listings, idx)
			}
		}
		seen = got
	}
	if len(seen) < 20 {
		t.Fatalf("only %d entries listed: the readers did not run", len(seen))
	}
}

// MustIndexMatchLog checks that each subject's listing is what a scan of
// the tenant's whole log finds for it, whole and in pages of 7.
func MustIndexMatchLog(tb testing.TB, s *sqlstore.Store, tenant string, subjects []string) {
	tb.Helper()
	want := map[string][]int64{}
	after := ""
	for {
		es, next, err := s.AuditEntries(context.Background(), tenant, steward.AuditFilter{Page: steward.Page{After: after, Limit: steward.MaxPageLimit}})
		if err != nil {
			tb.Fatalf("audit entries: %v", err)
		}
		for _, e := range es {
			want[e.SubjectID] = append(want[e.SubjectID], e.Index)
		}
		if next == "" {
			break
		}
		after = next
	}
	for _, id := range subjects {
		var got []int64
		for _, e := range allEntries(tb, s, tenant, id) {
			if e.SubjectID != id {
				tb.Fatalf("listing %s gave an entry of %s", id, e.SubjectID)
			}
			got = append(got, e.Index)
		}
		if !slices.Equal(got, want[id]) {
			tb.Fatalf("subject %s lists %d entries %v, the log has %d %v", id, len(got), got, len(want[id]), want[id])
		}
		var paged []int64
		after := ""
		for {
			es, next, err := s.AuditEntries(context.Background(), tenant, steward.AuditFilter{SubjectID: id, Page: steward.Page{After: after, Limit: 7}})
			if err != nil {
				tb.Fatal(err)
			}
			for _, e := range es {
				paged = append(paged, e.Index)
			}
			if next == "" {
				break
			}
			after = next
		}
		if !slices.Equal(paged, want[id]) {
			tb.Fatalf("subject %s paged by 7 lists %v, the log has %v", id, paged, want[id])
		}
	}
}
