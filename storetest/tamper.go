package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"golang.org/x/mod/sumdb/tlog"
)

// auditRow is one audit_log row as stored.
type auditRow struct {
	subject       string
	entry, hashes []byte
}

func (h *Harness) auditRow(tb testing.TB, tenant string, idx int64) auditRow {
	tb.Helper()
	var r auditRow
	err := h.Raw.QueryRow(h.Rebind(`SELECT subject_id, entry, hashes FROM audit_log WHERE tenant_id = ? AND idx = ?`), tenant, idx).Scan(&r.subject, &r.entry, &r.hashes)
	if err != nil {
		tb.Fatalf("read audit row %d: %v", idx, err)
	}
	return r
}

func (h *Harness) putAuditRow(tb testing.TB, tenant string, idx int64, r auditRow) {
	tb.Helper()
	if n := h.exec(tb, `UPDATE audit_log SET subject_id = ?, entry = ?, hashes = ? WHERE tenant_id = ? AND idx = ?`, r.subject, r.entry, r.hashes, tenant, idx); n != 1 {
		tb.Fatalf("updated %d audit rows", n)
	}
}

// rawHashReader reads the stored tree hashes straight from the database,
// the way someone rewriting the log behind the store's back would.
type rawHashReader struct {
	h      *Harness
	tb     testing.TB
	tenant string
}

func (r rawHashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		leaf, level := auditlog.Locate(idx)
		h, ok := auditlog.SplitHash(r.h.auditRow(r.tb, r.tenant, leaf).hashes, level)
		if !ok {
			return nil, fmt.Errorf("no stored hash %d", idx)
		}
		out[i] = h
	}
	return out, nil
}

// verification returns the audit verification of one tenant.
func verification(tb testing.TB, h *Harness, tenant string) steward.AuditVerification {
	tb.Helper()
	vs, err := h.Store.VerifyAudit(context.Background())
	if err != nil {
		tb.Fatalf("verify audit: %v", err)
	}
	for _, v := range vs {
		if v.TenantID == tenant {
			return v
		}
	}
	tb.Fatalf("no verification of tenant %s", tenant)
	return steward.AuditVerification{}
}

// testTampering alters the audit log behind the store's back, in each of
// the ways someone with the database could, and checks that verification
// fails and names the first entry that was changed. Every case restores
// what it changed, so each starts from a log that verifies.
func testTampering(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Bystander")
	// Entries 0-19 are creates, one per batch; 20-39 one listing, all in
	// one batch; 40-45 reads.
	for i := range 20 {
		MustSubject(t, h.Store, a, fmt.Sprintf("t%d@example.com", i), "Tampered")
		if i%7 == 0 {
			MustSubject(t, h.Store, b, fmt.Sprintf("b%d@example.com", i), "Bystander")
		}
	}
	subs, _, err := h.Store.Subjects(ctx, a, steward.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs[:6] {
		if _, err := h.Store.Subject(ctx, a, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	const n = 46
	if got := auditSize(t, h.Store, a.TenantID); got != n {
		t.Fatalf("log has %d entries, want %d", got, n)
	}
	tenant := a.TenantID

	// alter rewrites the action inside an entry, keeping its length.
	alter := func(entry []byte) []byte {
		for _, swap := range [][2]string{{`"action":"create"`, `"action":"update"`}, {`"action":"list"`, `"action":"read"`}, {`"action":"read"`, `"action":"list"`}} {
			if bytes.Contains(entry, []byte(swap[0])) {
				return bytes.Replace(entry, []byte(swap[0]), []byte(swap[1]), 1)
			}
		}
		t.Fatalf("entry %s has no action to alter", entry)
		return nil
	}
	// rehash alters entry k and rewrites its stored hashes so that the row
	// is consistent in itself.
	rehash := func(t *testing.T, k int64) func() {
		orig := h.auditRow(t, tenant, k)
		r := orig
		r.entry = alter(orig.entry)
		hs, err := tlog.StoredHashes(k, r.entry, rawHashReader{h, t, tenant})
		if err != nil {
			t.Fatal(err)
		}
		r.hashes = auditlog.JoinHashes(hs)
		if len(r.hashes) != len(orig.hashes) || bytes.Equal(r.hashes, orig.hashes) {
			t.Fatalf("rehashed row %d: %d hash bytes, was %d", k, len(r.hashes), len(orig.hashes))
		}
		h.putAuditRow(t, tenant, k, r)
		return func() { h.putAuditRow(t, tenant, k, orig) }
	}
	flipHash := func(t *testing.T, k int64, level int) func() {
		orig := h.auditRow(t, tenant, k)
		r := orig
		r.hashes = bytes.Clone(orig.hashes)
		r.hashes[level*tlog.HashSize+7] ^= 0x40
		h.putAuditRow(t, tenant, k, r)
		return func() { h.putAuditRow(t, tenant, k, orig) }
	}
	swap := func(t *testing.T, i, j int64) func() {
		ri, rj := h.auditRow(t, tenant, i), h.auditRow(t, tenant, j)
		h.putAuditRow(t, tenant, i, rj)
		h.putAuditRow(t, tenant, j, ri)
		return func() { h.putAuditRow(t, tenant, i, ri); h.putAuditRow(t, tenant, j, rj) }
	}
	del := func(t *testing.T, k int64) func() {
		orig := h.auditRow(t, tenant, k)
		h.exec(t, `DELETE FROM audit_log WHERE tenant_id = ? AND idx = ?`, tenant, k)
		return func() {
			h.exec(t, `INSERT INTO audit_log (tenant_id, idx, subject_id, entry, hashes) VALUES (?, ?, ?, ?, ?)`, tenant, k, orig.subject, orig.entry, orig.hashes)
		}
	}
	// note rewrites a signed checkpoint's text with f, keeping the signature.
	note := func(t *testing.T, table, where string, f func(string) string) func() {
		var orig string
		if err := h.Raw.QueryRow(h.Rebind(`SELECT checkpoint FROM `+table+` WHERE tenant_id = ?`+where), tenant).Scan(&orig); err != nil {
			t.Fatal(err)
		}
		altered := f(orig)
		if altered == orig {
			t.Fatalf("checkpoint unchanged")
		}
		h.exec(t, `UPDATE `+table+` SET checkpoint = ? WHERE tenant_id = ?`+where, altered, tenant)
		return func() { h.exec(t, `UPDATE `+table+` SET checkpoint = ? WHERE tenant_id = ?`+where, orig, tenant) }
	}
	otherRoot := func(cp string) string {
		lines := strings.SplitN(cp, "\n", 4)
		lines[2] = base64.StdEncoding.EncodeToString(make([]byte, 32))
		return strings.Join(lines, "\n")
	}
	// chunk changes the first chunk of the tenant's live index runs with f
	// (nil deletes it) and returns the lowest entry index among its keys.
	chunk := func(t *testing.T, f func([]byte) []byte) (lowest int64, restore func()) {
		var run int64
		var first, data []byte
		err := h.Raw.QueryRow(h.Rebind(`SELECT c.run, c.first_key, c.data FROM audit_index_chunks c JOIN audit_runs r ON r.tenant_id = c.tenant_id AND r.run = c.run
			WHERE c.tenant_id = ? AND r.state = 1 ORDER BY c.run, c.first_key LIMIT 1`), tenant).Scan(&run, &first, &data)
		if err != nil {
			t.Fatal(err)
		}
		lowest = -1
		for off := 0; off+16 <= len(data); off += 16 {
			if idx := int64(binary.BigEndian.Uint64(data[off+8:])); lowest < 0 || idx < lowest {
				lowest = idx
			}
		}
		if f == nil {
			h.exec(t, `DELETE FROM audit_index_chunks WHERE tenant_id = ? AND run = ? AND first_key = ?`, tenant, run, first)
			return lowest, func() {
				h.exec(t, `INSERT INTO audit_index_chunks (tenant_id, run, first_key, data) VALUES (?, ?, ?, ?)`, tenant, run, first, data)
			}
		}
		h.exec(t, `UPDATE audit_index_chunks SET data = ? WHERE tenant_id = ? AND run = ? AND first_key = ?`, f(bytes.Clone(data)), tenant, run, first)
		return lowest, func() {
			h.exec(t, `UPDATE audit_index_chunks SET data = ? WHERE tenant_id = ? AND run = ? AND first_key = ?`, data, tenant, run, first)
		}
	}
	// The index cases learn which entry verification must name only as
	// they tamper; indexBad carries it to the check.
	var indexBad int64

	var otherHead string
	if err := h.Raw.QueryRow(h.Rebind(`SELECT checkpoint FROM audit_heads WHERE tenant_id = ?`), b.TenantID).Scan(&otherHead); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		// bad is the FirstBadIndex verification must report; with atMost
		// set, verification may only narrow the change down to a range
		// that starts no later than bad.
		bad    int64
		atMost bool
		tamper func(t *testing.T) (restore func())
	}{
		{"EntryAltered", 13, false, func(t *testing.T) func() {
			orig := h.auditRow(t, tenant, 13)
			r := orig
			r.entry = alter(orig.entry)
			h.putAuditRow(t, tenant, 13, r)
			return func() { h.putAuditRow(t, tenant, 13, orig) }
		}},
		{"EntryRehashed/4", 4, false, func(t *testing.T) func() { return rehash(t, 4) }},
		{"EntryRehashed/13", 13, false, func(t *testing.T) func() { return rehash(t, 13) }},
		{"EntryRehashed/22", 22, false, func(t *testing.T) func() { return rehash(t, 22) }},
		{"EntryRehashed/37", 37, false, func(t *testing.T) func() { return rehash(t, 37) }},
		// Rows 31 and 43 hold subtrees no later row covers: only the
		// signed root can tell, and it cannot say which leaf changed.
		{"EntryRehashed/31", 31, true, func(t *testing.T) func() { return rehash(t, 31) }},
		{"EntryRehashed/43", 43, true, func(t *testing.T) func() { return rehash(t, 43) }},
		{"LeafHashAltered", 14, false, func(t *testing.T) func() { return flipHash(t, 14, 0) }},
		{"NodeHashAltered", 15, false, func(t *testing.T) func() { return flipHash(t, 15, 3) }},
		{"MiddleDeleted", 17, false, func(t *testing.T) func() { return del(t, 17) }},
		{"FirstDeleted", 0, false, func(t *testing.T) func() { return del(t, 0) }},
		{"LastDeleted", n - 1, false, func(t *testing.T) func() { return del(t, n-1) }},
		{"Swapped/Neighbours", 8, false, func(t *testing.T) func() { return swap(t, 8, 9) }},
		{"Swapped/Batches", 5, false, func(t *testing.T) func() { return swap(t, 5, 30) }},
		{"CheckpointAltered", 0, false, func(t *testing.T) func() { return note(t, "audit_heads", "", otherRoot) }},
		{"CheckpointOfOtherTenant", 0, false, func(t *testing.T) func() {
			return note(t, "audit_heads", "", func(string) string { return otherHead })
		}},
		{"HistoryAltered", 0, false, func(t *testing.T) func() {
			return note(t, "audit_checkpoints", " AND size = 1", otherRoot)
		}},
		// The index by subject is not part of the signed tree, but an entry
		// missing from it would be left out of its subject's listing.
		{"IndexChunkDeleted", -1, false, func(t *testing.T) func() {
			lowest, restore := chunk(t, nil)
			indexBad = lowest
			return restore
		}},
		{"IndexKeyMoved", -1, false, func(t *testing.T) func() {
			var moved int64
			_, restore := chunk(t, func(data []byte) []byte {
				moved = int64(binary.BigEndian.Uint64(data[8:16]))
				data[3] ^= 0x10 // The first key's subject hash.
				return data
			})
			indexBad = moved
			return restore
		}},
		{"IndexChunkDamaged", 0, false, func(t *testing.T) func() {
			_, restore := chunk(t, func(data []byte) []byte { return data[:len(data)-1] })
			return restore
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			MustVerify(t, h.Store)
			restore := tc.tamper(t)
			defer func() {
				restore()
				MustVerify(t, h.Store)
			}()
			if tc.bad < 0 {
				tc.bad = indexBad
			}
			v := verification(t, h, tenant)
			if v.OK {
				t.Fatalf("tampered log verifies: %+v", v)
			}
			if tc.atMost && (v.FirstBadIndex < 0 || v.FirstBadIndex > tc.bad) {
				t.Fatalf("first bad index %d, want at most %d (%s)", v.FirstBadIndex, tc.bad, v.Problem)
			}
			if !tc.atMost && v.FirstBadIndex != tc.bad {
				t.Fatalf("first bad index %d, want %d (%s)", v.FirstBadIndex, tc.bad, v.Problem)
			}
			if v.Problem == "" {
				t.Fatalf("a failed verification explains nothing")
			}
			if w := verification(t, h, b.TenantID); !w.OK {
				t.Fatalf("the bystander's log fails with the tampered one: %+v", w)
			}
		})
	}
}
