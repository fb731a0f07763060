package storetest

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

func testErasure(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	p := distinctive("e1")
	sub := MustCreate(t, h.Store, a, p.input())
	for range 3 {
		MustMessage(t, h.Store, a, sub.ID, p.Body)
	}
	keep := MustSubject(t, h.Store, a, "keep@example.com", "Kept")
	kept := MustMessage(t, h.Store, a, keep.ID, "still here")

	before := time.Now().UTC().Add(-time.Second)
	rec, err := h.Store.EraseSubject(ctx, a, sub.ID)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("Receipt", func(t *testing.T) {
		if !steward.ValidID("era", rec.ID) || rec.SubjectID != sub.ID || rec.ErasedAt.Before(before) || rec.ErasedAt.After(time.Now().Add(time.Second)) {
			t.Fatalf("receipt = %+v", rec)
		}
		joined := strings.Join(rec.Destroyed, "; ")
		for _, want := range []string{"subject data key", "profile", "2 lookup index entries", "3 conversation messages", "0 policy acceptance records", "legal references"} {
			if !strings.Contains(joined, want) {
				t.Fatalf("receipt destroyed %q, missing %q", joined, want)
			}
		}
		es := allEntries(t, h.Store, a.TenantID, sub.ID)
		last := es[len(es)-1]
		if last.Index != rec.AuditIndex || last.Action != steward.ActionErase || last.SubjectID != sub.ID {
			t.Fatalf("receipt audit index %d; last entry of the subject %+v", rec.AuditIndex, last)
		}
		if auditSize(t, h.Store, a.TenantID) != rec.AuditIndex+1 {
			t.Fatalf("the erase entry is not the log's last")
		}
	})

	t.Run("ErrGone", func(t *testing.T) {
		size := auditSize(t, h.Store, a.TenantID)
		_, err := h.Store.Subject(ctx, a, sub.ID)
		wantCode(t, err, steward.EGone)
		_, err = h.Store.UpdateSubject(ctx, a, sub.ID, &steward.SubjectPatch{Source: steward.SourceForm, Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Back"}}})
		wantCode(t, err, steward.EGone)
		_, err = h.Store.EraseSubject(ctx, a, sub.ID)
		wantCode(t, err, steward.EGone)
		_, _, err = h.Store.Messages(ctx, a, sub.ID, steward.Page{})
		wantCode(t, err, steward.EGone)
		m, err := (&steward.MessageInput{Direction: steward.Inbound, Channel: "email", Body: "hello?"}).Message(sub.ID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = h.Store.AddMessage(ctx, a, m, nil)
		wantCode(t, err, steward.EGone)
		if got := auditSize(t, h.Store, a.TenantID); got != size {
			t.Fatalf("refused accesses to an erased subject appended %d audit entries", got-size)
		}
	})

	t.Run("LookupsGone", func(t *testing.T) {
		for _, by := range []steward.SubjectLookup{{Email: p.Email}, {Username: p.Username}} {
			_, err := h.Store.FindSubject(ctx, a, by)
			wantCode(t, err, steward.ENotFound)
		}
		subs, _, err := h.Store.Subjects(ctx, a, steward.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids(subs), sub.ID) || len(subs) != 1 {
			t.Fatalf("listing after erasure = %v", ids(subs))
		}
	})

	t.Run("RowsGone", func(t *testing.T) {
		for _, q := range []string{
			`SELECT COUNT(*) FROM subjects WHERE tenant_id = ? AND id = ?`,
			`SELECT COUNT(*) FROM subject_lookups WHERE tenant_id = ? AND subject_id = ?`,
			`SELECT COUNT(*) FROM messages WHERE tenant_id = ? AND subject_id = ?`,
		} {
			if n := h.count(t, q, a.TenantID, sub.ID); n != 0 {
				t.Fatalf("%s: %d rows remain", q, n)
			}
		}
		if n := h.count(t, `SELECT COUNT(*) FROM subject_tombstones WHERE tenant_id = ? AND subject_id = ? AND receipt_id = ?`, a.TenantID, sub.ID, rec.ID); n != 1 {
			t.Fatalf("%d tombstones, want 1", n)
		}
	})

	t.Run("OthersKept", func(t *testing.T) {
		msgs, _, err := h.Store.Messages(ctx, a, keep.ID, steward.Page{})
		if err != nil || len(msgs) != 1 || msgs[0].ID != kept.ID || msgs[0].Body != "still here" {
			t.Fatalf("messages of another subject = %v, %v", msgs, err)
		}
	})

	t.Run("EmailReusable", func(t *testing.T) {
		again := MustCreate(t, h.Store, a, p.input())
		if again.ID == sub.ID {
			t.Fatalf("a new subject reused the erased id")
		}
		got, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p.Email})
		if err != nil || got.ID != again.ID {
			t.Fatalf("find reused email = %v, %v", got, err)
		}
		_, err = h.Store.Subject(ctx, a, sub.ID)
		wantCode(t, err, steward.EGone)
	})

	MustVerify(t, h.Store)
}

// testErasureAtRest erases a subject and then searches every byte the
// engine keeps for any ciphertext, wrapped key or blind index the subject
// ever had: none may survive, in live rows or freed space.
func testErasureAtRest(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	p := distinctive("x1")
	sub := MustCreate(t, h.Store, a, p.input())
	keep := MustSubject(t, h.Store, a, "keep@example.com", "Kept")
	var traces [][]byte
	capture := func() {
		var wrapped, profile []byte
		if err := h.Raw.QueryRow(h.Rebind(`SELECT wrapped_key, profile FROM subjects WHERE tenant_id = ? AND id = ?`), a.TenantID, sub.ID).Scan(&wrapped, &profile); err != nil {
			t.Fatal(err)
		}
		traces = append(traces, wrapped, profile)
		rows, err := h.Raw.Query(h.Rebind(`SELECT hash FROM subject_lookups WHERE tenant_id = ? AND subject_id = ? UNION ALL SELECT body FROM messages WHERE tenant_id = ? AND subject_id = ?`), a.TenantID, sub.ID, a.TenantID, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				t.Fatal(err)
			}
			traces = append(traces, b)
		}
	}
	for i := range 3 {
		MustMessage(t, h.Store, a, sub.ID, fmt.Sprintf("%s, part %d", p.Body, i))
	}
	capture()
	// Rewritten records leave older ciphertext behind unless freed space
	// is cleared.
	if _, err := h.Store.UpdateSubject(ctx, a, sub.ID, &steward.SubjectPatch{
		Source: steward.SourceForm,
		Email:  steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "moved." + p.Email}},
	}); err != nil {
		t.Fatal(err)
	}
	capture()
	if _, err := h.Store.EraseSubject(ctx, a, sub.ID); err != nil {
		t.Fatal(err)
	}
	// Keep writing afterwards, as a live store does.
	for i := range 5 {
		MustMessage(t, h.Store, a, keep.ID, fmt.Sprintf("after erasure %d", i))
	}
	var keptProfile []byte
	if err := h.Raw.QueryRow(h.Rebind(`SELECT profile FROM subjects WHERE tenant_id = ? AND id = ?`), a.TenantID, keep.ID).Scan(&keptProfile); err != nil {
		t.Fatal(err)
	}
	dump := h.Dump(t)
	if !bytes.Contains(dump, keptProfile) {
		t.Fatalf("the dump does not hold a live subject's ciphertext; it cannot show erased ones are gone")
	}
	for i, tr := range traces {
		if len(tr) < 16 {
			t.Fatalf("trace %d is only %d bytes", i, len(tr))
		}
		if bytes.Contains(dump, tr) || bytes.Contains(dump, []byte(hex.EncodeToString(tr))) {
			t.Errorf("trace %d of the erased subject (%d bytes) is still stored", i, len(tr))
		}
	}
}
