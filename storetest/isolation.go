package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// testTenantIsolation checks that another tenant's subject id answers
// exactly like an id that does not exist: same code, message and field,
// nothing changed, nothing audited, so ids cannot be probed across tenants.
func testTenantIsolation(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Intruder")
	p := distinctive("i1")
	victim := MustCreate(t, h.Store, a, p.input())
	msg := MustMessage(t, h.Store, a, victim.ID, p.Body)
	erased := MustSubject(t, h.Store, a, "gone@example.com", "Gone")
	if _, err := h.Store.EraseSubject(ctx, a, erased.ID); err != nil {
		t.Fatal(err)
	}
	MustSubject(t, h.Store, b, "mine@example.com", "Intruder's own")
	sizeA := auditSize(t, h.Store, a.TenantID)
	sizeB := auditSize(t, h.Store, b.TenantID)

	ops := []struct {
		name string
		do   func(id string) error
	}{
		{"Subject", func(id string) error { _, err := h.Store.Subject(ctx, b, id); return err }},
		{"UpdateSubject", func(id string) error {
			_, err := h.Store.UpdateSubject(ctx, b, id, &steward.SubjectPatch{Source: steward.SourceForm, Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Hijacked"}}})
			return err
		}},
		{"EraseSubject", func(id string) error { _, err := h.Store.EraseSubject(ctx, b, id); return err }},
		{"AddMessage", func(id string) error {
			m, err := (&steward.MessageInput{Direction: steward.Outbound, Channel: "email", Body: "injected"}).Message(id, time.Now())
			if err != nil {
				return err
			}
			_, _, err = h.Store.AddMessage(ctx, b, m, nil)
			return err
		}},
		{"Messages", func(id string) error { _, _, err := h.Store.Messages(ctx, b, id, steward.Page{}); return err }},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			unknown := op.do(steward.NewID("sub"))
			wantCode(t, unknown, steward.ENotFound)
			for _, id := range []string{victim.ID, erased.ID} {
				err := op.do(id)
				wantCode(t, err, steward.ENotFound)
				if err.Error() != unknown.Error() {
					t.Fatalf("another tenant's subject answers %q, an unknown id %q", err, unknown)
				}
			}
		})
	}

	t.Run("FindSubject", func(t *testing.T) {
		unknown := func() error {
			_, err := h.Store.FindSubject(ctx, b, steward.SubjectLookup{Email: "nobody@example.com"})
			return err
		}()
		for _, by := range []steward.SubjectLookup{{Email: p.Email}, {Username: p.Username}} {
			_, err := h.Store.FindSubject(ctx, b, by)
			wantCode(t, err, steward.ENotFound)
			if by.Email != "" && err.Error() != unknown.Error() {
				t.Fatalf("another tenant's email answers %q, an unknown one %q", err, unknown)
			}
		}
	})

	t.Run("Listings", func(t *testing.T) {
		subs, _, err := h.Store.Subjects(ctx, b, steward.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(subs) != 1 || slices.Contains(ids(subs), victim.ID) {
			t.Fatalf("intruder lists %v", ids(subs))
		}
		// A cursor from another tenant only positions, never reveals.
		subs, _, err = h.Store.Subjects(ctx, b, steward.Page{After: victim.ID})
		if err != nil || slices.Contains(ids(subs), victim.ID) {
			t.Fatalf("intruder lists after the victim: %v, %v", ids(subs), err)
		}
		es, _, err := h.Store.AuditEntries(ctx, b.TenantID, steward.AuditFilter{SubjectID: victim.ID})
		if err != nil || len(es) != 0 {
			t.Fatalf("intruder's audit entries of the victim: %v, %v", es, err)
		}
	})

	t.Run("Untouched", func(t *testing.T) {
		// Nothing the intruder tried is in either log (the listing above
		// audited its own subject only).
		if got := auditSize(t, h.Store, a.TenantID); got != sizeA {
			t.Fatalf("the victim's log grew by %d", got-sizeA)
		}
		for _, e := range allEntries(t, h.Store, b.TenantID, "") {
			if e.Index >= sizeB && e.SubjectID == victim.ID {
				t.Fatalf("intruder's log mentions the victim: %+v", e)
			}
		}
		got, err := h.Store.Subject(ctx, a, victim.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameProfile(t, &got.Profile, &victim.Profile)
		msgs, _, err := h.Store.Messages(ctx, a, victim.ID, steward.Page{})
		if err != nil || len(msgs) != 1 || msgs[0].ID != msg.ID {
			t.Fatalf("victim's messages = %v, %v", msgs, err)
		}
		MustVerify(t, h.Store)
	})
}
