package storetest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// testAuditEntries runs one of each access and checks the log names each
// with its action, subject and fields, and never a value.
func testAuditEntries(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	a.Purpose, a.RequestID = "essential.service.operations.support", "req_audit"
	b, _ := MustTenant(t, h.Store, "Other")
	p1, p2 := distinctive("a1"), distinctive("a2")

	type want struct {
		action  steward.AuditAction
		subject string
		fields  string
	}
	var wants []want
	expect := func(action steward.AuditAction, subject string, fields ...string) {
		wants = append(wants, want{action, subject, strings.Join(fields, ",")})
	}
	s1 := MustCreate(t, h.Store, a, p1.input())
	all := []string{"attributes." + p1.AttrKey, "billing_address", "email", "name", "username"}
	expect(steward.ActionCreate, s1.ID, all...)
	s2 := MustSubject(t, h.Store, a, p2.Email, p2.Name)
	expect(steward.ActionCreate, s2.ID, "email", "name")
	MustSubject(t, h.Store, b, "b@example.com", "Other tenant") // Not in a's log.
	if _, err := h.Store.Subject(ctx, a, s1.ID); err != nil {
		t.Fatal(err)
	}
	expect(steward.ActionRead, s1.ID, all...)
	if _, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Username: p1.Username}); err != nil {
		t.Fatal(err)
	}
	expect(steward.ActionRead, s1.ID, all...)
	listed, _, err := h.Store.Subjects(ctx, a, steward.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range listed {
		expect(steward.ActionList, s.ID, s.Profile.FieldNames()...)
	}
	if _, err := h.Store.UpdateSubject(ctx, a, s1.ID, &steward.SubjectPatch{
		Source:         steward.SourceForm,
		Name:           steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: p2.Name + " Jr"}},
		BillingAddress: steward.Patch[steward.Field[steward.Address]]{Set: true},
	}); err != nil {
		t.Fatal(err)
	}
	expect(steward.ActionUpdate, s1.ID, "billing_address", "name")
	m := MustMessage(t, h.Store, a, s2.ID, p2.Body)
	expect(steward.ActionCreate, s2.ID, "messages."+m.ID)
	if _, _, err := h.Store.Messages(ctx, a, s2.ID, steward.Page{}); err != nil {
		t.Fatal(err)
	}
	expect(steward.ActionList, s2.ID, "messages")
	rec, err := h.Store.EraseSubject(ctx, a, s2.ID)
	if err != nil {
		t.Fatal(err)
	}
	expect(steward.ActionErase, s2.ID, "subject_key", "profile", "lookups", "messages", "policy_acceptances", "disclosures.legal_reference")

	entries := allEntries(t, h.Store, a.TenantID, "")

	t.Run("OK", func(t *testing.T) {
		if len(entries) != len(wants) {
			t.Fatalf("%d entries, want %d", len(entries), len(wants))
		}
		for i, e := range entries {
			w := wants[i]
			got := want{e.Action, e.SubjectID, strings.Join(e.Fields, ",")}
			if got != w {
				t.Errorf("entry %d = %+v, want %+v", i, got, w)
			}
			if e.Index != int64(i) || e.TenantID != a.TenantID || e.Actor != a.KeyID || e.Purpose != a.Purpose || e.RequestID != a.RequestID {
				t.Errorf("entry %d = %+v", i, e)
			}
			if e.Time.IsZero() || (i > 0 && e.Time.Before(entries[i-1].Time)) {
				t.Errorf("entry %d time %v (previous %v)", i, e.Time, entries[i-1].Time)
			}
		}
		if rec.AuditIndex != int64(len(wants)-1) {
			t.Fatalf("receipt audit index %d, want %d", rec.AuditIndex, len(wants)-1)
		}
		if auditSize(t, h.Store, a.TenantID) != int64(len(wants)) {
			t.Fatalf("checkpoint size differs from the entry count")
		}
		for _, e := range allEntries(t, h.Store, b.TenantID, "") {
			if e.TenantID != b.TenantID || e.SubjectID == s1.ID || e.SubjectID == s2.ID {
				t.Fatalf("other tenant's log holds %+v", e)
			}
		}
	})

	t.Run("NoValues", func(t *testing.T) {
		rows, err := h.Raw.Query(h.Rebind(`SELECT entry FROM audit_log`))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := 0
		for rows.Next() {
			var entry []byte
			if err := rows.Scan(&entry); err != nil {
				t.Fatal(err)
			}
			n++
			low := bytes.ToLower(entry)
			for _, v := range append(append(p1.values(), p2.values()...), p2.Name+" Jr", "b@example.com", "Other tenant") {
				if bytes.Contains(low, []byte(strings.ToLower(v))) {
					t.Errorf("audit entry %s holds the value %q", entry, v)
				}
			}
		}
		if err := rows.Err(); err != nil || n < len(wants) {
			t.Fatalf("scanned %d entries: %v", n, err)
		}
	})

	t.Run("BySubject", func(t *testing.T) {
		for _, id := range []string{s1.ID, s2.ID} {
			var w []int64
			for i, x := range wants {
				if x.subject == id {
					w = append(w, int64(i))
				}
			}
			got := allEntries(t, h.Store, a.TenantID, id)
			if len(got) != len(w) {
				t.Fatalf("%d entries of %s, want %d", len(got), id, len(w))
			}
			for i, e := range got {
				if e.SubjectID != id || e.Index != w[i] {
					t.Fatalf("entry %+v, want index %d of %s", e, w[i], id)
				}
			}
			// The filter pages too.
			page, next, err := h.Store.AuditEntries(ctx, a.TenantID, steward.AuditFilter{SubjectID: id, Page: steward.Page{Limit: 1}})
			if err != nil || len(page) != 1 || next == "" || page[0].Index != w[0] {
				t.Fatalf("first filtered page = %v, %q, %v", page, next, err)
			}
			page, _, err = h.Store.AuditEntries(ctx, a.TenantID, steward.AuditFilter{SubjectID: id, Page: steward.Page{After: next, Limit: 1}})
			if err != nil || len(page) != 1 || page[0].Index != w[1] {
				t.Fatalf("second filtered page = %v, %v", page, err)
			}
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		var got []*steward.AuditEntry
		after := ""
		for pages := 1; ; pages++ {
			page, next, err := h.Store.AuditEntries(ctx, a.TenantID, steward.AuditFilter{Page: steward.Page{After: after, Limit: 3}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > 3 || (next != "" && len(page) != 3) || pages > len(wants) {
				t.Fatalf("page %d: %d entries, next %q", pages, len(page), next)
			}
			got = append(got, page...)
			if next == "" {
				break
			}
			after = next
		}
		if len(got) != len(entries) {
			t.Fatalf("paged %d entries, want %d", len(got), len(entries))
		}
		for i := range got {
			if got[i].Index != int64(i) {
				t.Fatalf("paged entry %d has index %d", i, got[i].Index)
			}
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, p := range []steward.Page{{After: "abc"}, {After: "-5"}, {Limit: -1}, {Limit: steward.MaxPageLimit + 1}} {
			_, _, err := h.Store.AuditEntries(ctx, a.TenantID, steward.AuditFilter{Page: p})
			wantCode(t, err, steward.EInvalid)
		}
	})

	MustVerify(t, h.Store)
}

// testUnauditable makes the next audit append fail (a row squats on the
// log's next index): reads must then be refused rather than served
// unaudited, and writes must not happen without their entry.
func testUnauditable(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	p := distinctive("n1")
	sub := MustCreate(t, h.Store, a, p.input())
	size := auditSize(t, h.Store, a.TenantID)
	h.exec(t, `INSERT INTO audit_log (tenant_id, idx, subject_id, entry, hashes) VALUES (?, ?, '', ?, ?)`, a.TenantID, size, []byte("{}"), []byte{})
	subjects := h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, a.TenantID)

	reads := 0
	if h.JournaledReads {
		// Reads are audited in the journal, which still works: they are
		// served, and reach the log once it can grow again.
		if _, err := h.Store.Subject(ctx, a, sub.ID); err != nil {
			t.Fatalf("a journaled read was refused: %v", err)
		}
		if _, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p.Email}); err != nil {
			t.Fatalf("a journaled lookup was refused: %v", err)
		}
		reads = 2
		if err := h.Store.SyncAudit(ctx); err == nil {
			t.Fatal("folding into a log that cannot grow reported success")
		}
	} else {
		got, err := h.Store.Subject(ctx, a, sub.ID)
		if err == nil || got != nil {
			t.Fatalf("a read that could not be audited was served: %v, %v", got, err)
		}
		if _, err := h.Store.FindSubject(ctx, a, steward.SubjectLookup{Email: p.Email}); err == nil {
			t.Fatalf("a lookup that could not be audited was served")
		}
		if subs, _, err := h.Store.Subjects(ctx, a, steward.Page{}); err == nil || len(subs) != 0 {
			t.Fatalf("a listing that could not be audited was served: %d subjects, %v", len(subs), err)
		}
	}
	in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: "unaudited@example.com"}}
	s, err := in.Subject(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Store.CreateSubject(ctx, a, s, nil); err == nil {
		t.Fatalf("a create that could not be audited succeeded")
	}
	if _, err := h.Store.EraseSubject(ctx, a, sub.ID); err == nil {
		t.Fatalf("an erasure that could not be audited succeeded")
	}
	if n := h.count(t, `SELECT COUNT(*) FROM subjects WHERE tenant_id = ?`, a.TenantID); n != subjects {
		t.Fatalf("unaudited writes changed the subject count from %d to %d", subjects, n)
	}

	// Once the log can grow again, everything works and verifies.
	h.exec(t, `DELETE FROM audit_log WHERE tenant_id = ? AND idx = ?`, a.TenantID, size)
	if _, err := h.Store.Subject(ctx, a, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.Store.CreateSubject(ctx, a, s, nil); err != nil {
		t.Fatal(err)
	}
	if got := auditSize(t, h.Store, a.TenantID); got != size+2+int64(reads) {
		t.Fatalf("log size %d, want %d", got, size+2+int64(reads))
	}
	if reads > 0 {
		entries := allEntries(t, h.Store, a.TenantID, sub.ID)
		var found int
		for _, e := range entries[len(entries)-3:] {
			if e.Action == steward.ActionRead && e.SubjectID == sub.ID {
				found++
			}
		}
		if found != 3 {
			t.Fatalf("the journaled reads (and the one after) are not all in the log: %d of 3", found)
		}
	}
	MustVerify(t, h.Store)
}
