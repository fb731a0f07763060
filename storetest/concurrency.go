package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// testConcurrency runs many writers and readers at once, over two tenants,
// while verification and checkpoints are read: everything succeeds, every
// operation is audited exactly once, and no verification run mid-write
// sees a broken log.
func testConcurrency(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	actors := make([]steward.Actor, 2)
	for i := range actors {
		actors[i], _ = MustTenant(t, h.Store, fmt.Sprintf("Tenant %d", i))
	}
	const workers, each = 16, 50

	var writers sync.WaitGroup
	errs := make([]error, workers)
	created := make([][]string, workers)
	for w := range workers {
		writers.Go(func() {
			a := actors[w%len(actors)]
			for i := range each {
				email := fmt.Sprintf("w%d.s%d@example.com", w, i)
				in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: email}}
				sub, err := in.Subject(time.Now())
				if err == nil {
					sub, _, err = h.Store.CreateSubject(ctx, a, sub, nil)
				}
				var got *steward.Subject
				if err == nil {
					got, err = h.Store.Subject(ctx, a, sub.ID)
				}
				if err == nil && (got.Profile.Email == nil || got.Profile.Email.Value != email) {
					err = fmt.Errorf("read back %s as %+v", email, got.Profile.Email)
				}
				if err != nil {
					errs[w] = err
					return
				}
				created[w] = append(created[w], sub.ID)
			}
		})
	}

	// Meanwhile, verify and read checkpoints in a loop.
	stop := make(chan struct{})
	var checks atomic.Int64
	checkErr := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				checkErr <- nil
				return
			default:
			}
			vs, err := h.Store.VerifyAudit(ctx)
			if err == nil {
				for _, v := range vs {
					if !v.OK {
						err = fmt.Errorf("verification during writes: %+v", v)
					}
				}
			}
			for _, a := range actors {
				if err != nil {
					break
				}
				var cp *steward.Checkpoint
				if cp, err = h.Store.Checkpoint(ctx, a.TenantID); err == nil {
					_, _, err = parseCheckpoint(h.Store.VerifierKey(), a.TenantID, cp)
				}
			}
			if err != nil {
				checkErr <- err
				return
			}
			checks.Add(1)
		}
	}()
	writers.Wait()
	close(stop)
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if err := <-checkErr; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d verifications ran during the writes", checks.Load())

	seen := map[string]bool{}
	for _, ids := range created {
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("id %s issued twice", id)
			}
			seen[id] = true
		}
	}
	perTenant := int64(workers / len(actors) * each)
	if len(seen) != workers*each {
		t.Fatalf("%d subjects created, want %d", len(seen), workers*each)
	}
	vs := MustVerify(t, h.Store)
	for _, a := range actors {
		if n := h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, a.TenantID); n != perTenant {
			t.Fatalf("tenant %s holds %d subjects, want %d", a.TenantID, n, perTenant)
		}
		// One create and one read per subject.
		if got := auditSize(t, h.Store, a.TenantID); got != 2*perTenant || vs[a.TenantID].Size != 2*perTenant {
			t.Fatalf("tenant %s: log size %d (verified %d), want %d", a.TenantID, got, vs[a.TenantID].Size, 2*perTenant)
		}
		creates, reads := 0, 0
		for _, e := range allEntries(t, h.Store, a.TenantID, "") {
			switch e.Action {
			case steward.ActionCreate:
				creates++
			case steward.ActionRead:
				reads++
			}
		}
		if int64(creates) != perTenant || int64(reads) != perTenant {
			t.Fatalf("tenant %s: %d creates and %d reads audited, want %d each", a.TenantID, creates, reads, perTenant)
		}
	}
}
