package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func testIdempotency(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	subjects := func(tenant string) int64 {
		return h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, tenant)
	}
	newSubject := func(email string) *steward.Subject {
		s, err := (&steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: email}}).Subject(time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	idem := &steward.Idempotency{Key: "create-1", Fingerprint: []byte("POST /v1/subjects {ada}")}

	t.Run("CreateSubject", func(t *testing.T) {
		first, replayed, err := h.Store.CreateSubject(ctx, a, newSubject("ada@example.com"), idem)
		if err != nil || replayed {
			t.Fatalf("first create: replayed %v, %v", replayed, err)
		}
		size := auditSize(t, h.Store, a.TenantID)
		// The retry replays even if the caller rebuilt the subject.
		again, replayed, err := h.Store.CreateSubject(ctx, a, newSubject("ada@example.com"), idem)
		if err != nil || !replayed || again.ID != first.ID {
			t.Fatalf("retry = %+v, replayed %v, %v", again, replayed, err)
		}
		sameProfile(t, &again.Profile, &first.Profile)
		if n := subjects(a.TenantID); n != 1 {
			t.Fatalf("%d subjects after a replay, want 1", n)
		}
		for _, e := range allEntries(t, h.Store, a.TenantID, "") {
			if e.Index >= size && e.Action == steward.ActionCreate {
				t.Fatalf("a replay audited a second create: %+v", e)
			}
		}
	})

	t.Run("ErrIdempotencyMismatch", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		other := &steward.Idempotency{Key: idem.Key, Fingerprint: []byte("POST /v1/subjects {bob}")}
		_, _, err := h.Store.CreateSubject(ctx, a, newSubject("bob@example.com"), other)
		wantCode(t, err, steward.EIdempotencyMismatch)
		if n := subjects(a.TenantID); n != 1 {
			t.Fatalf("%d subjects after a reused key, want 1", n)
		}
		if got := auditSize(t, h.Store, a.TenantID); got != size {
			t.Fatalf("a refused create appended %d audit entries", got-size)
		}
	})

	t.Run("PerTenant", func(t *testing.T) {
		// The same key in another tenant is another request.
		s, replayed, err := h.Store.CreateSubject(ctx, b, newSubject("ada@example.com"), idem)
		if err != nil || replayed {
			t.Fatalf("other tenant: replayed %v, %v", replayed, err)
		}
		if n := subjects(b.TenantID); n != 1 {
			t.Fatalf("%d subjects in the other tenant", n)
		}
		if _, err := h.Store.Subject(ctx, a, s.ID); steward.ErrorCode(err) != steward.ENotFound {
			t.Fatalf("other tenant's replay leaked: %v", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		// Retries racing each other still create one subject.
		key := &steward.Idempotency{Key: "race", Fingerprint: []byte("POST race")}
		const n = 10
		var wg sync.WaitGroup
		got := make([]string, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s, _, err := h.Store.CreateSubject(ctx, a, newSubject("race@example.com"), key)
				errs[i] = err
				if err == nil {
					got[i] = s.ID
				}
			})
		}
		wg.Wait()
		winner := ""
		for i, err := range errs {
			if err != nil {
				// A retry may be told the first is still being processed.
				wantCode(t, err, steward.EConflict)
				continue
			}
			if winner == "" {
				winner = got[i]
			}
			if got[i] != winner {
				t.Fatalf("racing retries created %s and %s", winner, got[i])
			}
		}
		if winner == "" || subjects(a.TenantID) != 2 {
			t.Fatalf("winner %q, %d subjects", winner, subjects(a.TenantID))
		}
	})

	t.Run("AddMessage", func(t *testing.T) {
		sub := MustSubject(t, h.Store, a, "talk@example.com", "Talker")
		mk := func(body string) *steward.Message {
			m, err := (&steward.MessageInput{Direction: steward.Inbound, Channel: "chat", Body: body}).Message(sub.ID, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		key := &steward.Idempotency{Key: "msg-1", Fingerprint: []byte("POST messages hello")}
		first, replayed, err := h.Store.AddMessage(ctx, a, mk("hello"), key)
		if err != nil || replayed {
			t.Fatalf("first add: replayed %v, %v", replayed, err)
		}
		again, replayed, err := h.Store.AddMessage(ctx, a, mk("hello"), key)
		if err != nil || !replayed || again.ID != first.ID || again.Body != "hello" {
			t.Fatalf("retry = %+v, replayed %v, %v", again, replayed, err)
		}
		_, _, err = h.Store.AddMessage(ctx, a, mk("goodbye"), &steward.Idempotency{Key: "msg-1", Fingerprint: []byte("POST messages goodbye")})
		wantCode(t, err, steward.EIdempotencyMismatch)
		// A key already used to create a subject is not free for a message.
		_, _, err = h.Store.AddMessage(ctx, a, mk("hello"), &steward.Idempotency{Key: idem.Key, Fingerprint: []byte("POST messages hello")})
		wantCode(t, err, steward.EIdempotencyMismatch)
		if n := h.count(t, `SELECT COUNT(*) FROM messages WHERE tenant_id = ? AND subject_id = ?`, a.TenantID, sub.ID); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
	})
}
