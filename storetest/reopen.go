package storetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/transparency-dev/merkle/proof"
)

// testReopen closes and reopens the store: the data, the keys and the
// audit log carry over, and the log keeps verifying and growing although
// the writer's hash cache starts cold.
func testReopen(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, token := MustTenant(t, h.Store, "Acme")
	p := distinctive("o1")
	sub := MustCreate(t, h.Store, a, p.input())
	msg := MustMessage(t, h.Store, a, sub.ID, p.Body)
	for i := range 10 {
		MustSubject(t, h.Store, a, fmt.Sprintf("before%d@example.com", i), "Before")
	}
	before, err := h.Store.Checkpoint(ctx, a.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	vkey := h.Store.VerifierKey()

	for round := 1; round <= 2; round++ {
		t.Run(fmt.Sprintf("Round%d", round), func(t *testing.T) {
			h.Store = h.Reopen(t)
			if h.Store.VerifierKey() != vkey {
				t.Fatalf("the audit signing key changed on reopen")
			}
			openCheckpoint(t, h.Store, a.TenantID, before)
			MustVerify(t, h.Store)

			if k, err := h.Store.Authenticate(ctx, token); err != nil || k.ID != a.KeyID {
				t.Fatalf("authenticate after reopen = %v, %v", k, err)
			}
			got, err := h.Store.Subject(ctx, a, sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameProfile(t, &got.Profile, &sub.Profile)
			if found, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p.Email}); err != nil || found.ID != sub.ID {
				t.Fatalf("find after reopen = %v, %v", found, err)
			}
			msgs, _, err := h.Store.Messages(ctx, a, sub.ID, steward.Page{})
			if err != nil || len(msgs) != 1 || msgs[0].ID != msg.ID || msgs[0].Body != p.Body {
				t.Fatalf("messages after reopen = %v, %v", msgs, err)
			}
			// Append across several subtree boundaries with a cold cache.
			for i := range 9 {
				MustSubject(t, h.Store, a, fmt.Sprintf("round%d.%d@example.com", round, i), "After")
			}
			MustVerify(t, h.Store)

			cp, err := h.Store.Checkpoint(ctx, a.TenantID)
			if err != nil {
				t.Fatal(err)
			}
			size, root := openCheckpoint(t, h.Store, a.TenantID, cp)
			roots := merkleRoots(t, h.rawLeaves(t, a.TenantID))
			if size != int64(len(roots)-1) || !bytes.Equal(root, roots[size]) {
				t.Fatalf("checkpoint after reopen: size %d root %x; the leaves give %d %x", size, root, len(roots)-1, roots[len(roots)-1])
			}
			// Whoever kept the checkpoint from before can check the log
			// only grew.
			cproof, err := h.Store.ConsistencyProof(ctx, a.TenantID, before.Size, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(hasher, uint64(before.Size), uint64(size), cproof, before.RootHash, root); err != nil {
				t.Fatalf("the log after reopen does not extend the one before: %v", err)
			}
		})
	}
}

// testCloseWhileWriting closes the store while writers are busy: every
// call returns (none waits forever on a writer that has stopped), and every
// create that was acknowledged is there after reopening.
func testCloseWhileWriting(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	old := h.Store
	const workers = 8
	acked := make([][]string, workers)
	lastErr := make([]error, workers)
	var started sync.WaitGroup
	done := make(chan struct{})
	var wg sync.WaitGroup
	started.Add(workers)
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				if i == 3 {
					started.Done()
				}
				in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: fmt.Sprintf("w%d.%d@example.com", w, i)}}
				sub, err := in.Subject(time.Now())
				if err == nil {
					sub, _, err = old.CreateSubject(ctx, a, sub, nil)
				}
				if err != nil {
					lastErr[w] = err
					if i < 3 {
						started.Done()
					}
					return
				}
				acked[w] = append(acked[w], sub.ID)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	started.Wait()
	h.Store = h.Reopen(t)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("calls made while the store closed never returned")
	}
	for w, err := range lastErr {
		if c := steward.ErrorCode(err); c != steward.EUnavailable && c != steward.EInternal {
			t.Fatalf("writer %d stopped with %v, want unavailable (or internal, once the databases closed)", w, err)
		}
	}
	n := 0
	for _, ids := range acked {
		for _, id := range ids {
			if _, err := h.Store.Subject(ctx, a, id); err != nil {
				t.Fatalf("acknowledged subject %s after reopen: %v", id, err)
			}
			n++
		}
	}
	if got := h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, a.TenantID); got != int64(n) {
		t.Fatalf("%d subjects stored, %d acknowledged", got, n)
	}
	MustVerify(t, h.Store)
}
