package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
)

// hasher is RFC 6962 hashing as implemented by transparency-dev, an
// implementation independent of the store's (golang.org/x/mod/sumdb/tlog).
var hasher = rfc6962.DefaultHasher

// rawLeaves reads a tenant's leaf data straight from the database, in index
// order, and fails unless the indexes run 0, 1, 2, … without gaps.
func (h *Harness) rawLeaves(tb testing.TB, tenant string) [][]byte {
	tb.Helper()
	if err := h.Store.SyncAudit(context.Background()); err != nil {
		tb.Fatal(err)
	}
	rows, err := h.Raw.Query(h.Rebind(`SELECT idx, entry FROM audit_log WHERE tenant_id = ? ORDER BY idx`), tenant)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var leaves [][]byte
	for rows.Next() {
		var idx int64
		var entry []byte
		if err := rows.Scan(&idx, &entry); err != nil {
			tb.Fatal(err)
		}
		if idx != int64(len(leaves)) {
			tb.Fatalf("audit_log of %s: index %d where %d belongs", tenant, idx, len(leaves))
		}
		leaves = append(leaves, entry)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return leaves
}

// merkleRoots returns the root of every prefix of leaves: roots[n] is the
// root of the tree of the first n leaves, computed with a compact range.
func merkleRoots(tb testing.TB, leaves [][]byte) [][]byte {
	tb.Helper()
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	r := rf.NewEmptyRange(0)
	roots := [][]byte{hasher.EmptyRoot()}
	for _, l := range leaves {
		if err := r.Append(hasher.HashLeaf(l), nil); err != nil {
			tb.Fatal(err)
		}
		root, err := r.GetRootHash(nil)
		if err != nil {
			tb.Fatal(err)
		}
		roots = append(roots, root)
	}
	return roots
}

// openCheckpoint verifies a checkpoint's signed note with the store's
// published verifier key and returns the size and root it states.
func openCheckpoint(tb testing.TB, s *sqlstore.Store, tenant string, cp *steward.Checkpoint) (int64, []byte) {
	tb.Helper()
	size, root, err := parseCheckpoint(s.VerifierKey(), tenant, cp)
	if err != nil {
		tb.Fatal(err)
	}
	return size, root
}

// parseCheckpoint is openCheckpoint for goroutines that cannot fail a test.
func parseCheckpoint(vkey, tenant string, cp *steward.Checkpoint) (int64, []byte, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return 0, nil, fmt.Errorf("verifier key %q: %w", vkey, err)
	}
	n, err := note.Open([]byte(cp.Note), note.VerifierList(v))
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint does not verify: %w\n%s", err, cp.Note)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) != 4 || lines[0] != auditlog.Origin(tenant) || lines[3] != "" {
		return 0, nil, fmt.Errorf("checkpoint text %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil {
		return 0, nil, fmt.Errorf("checkpoint root %q", lines[2])
	}
	if size != cp.Size || !bytes.Equal(root, cp.RootHash) {
		return 0, nil, fmt.Errorf("checkpoint says size %d root %x; the struct %d %x", size, root, cp.Size, cp.RootHash)
	}
	return size, root, nil
}

func testAuditProofs(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")

	t.Run("Empty", func(t *testing.T) {
		cp, err := h.Store.Checkpoint(ctx, a.TenantID)
		if err != nil {
			t.Fatal(err)
		}
		size, root := openCheckpoint(t, h.Store, a.TenantID, cp)
		if size != 0 || !bytes.Equal(root, hasher.EmptyRoot()) {
			t.Fatalf("empty log checkpoint: size %d root %x", size, root)
		}
		_, _, err = h.Store.InclusionProof(ctx, a.TenantID, 0, 1)
		wantCode(t, err, steward.EInvalid)
	})

	// Grow both logs, interleaved, with single-entry batches and a listing
	// that appends many entries in one batch.
	for i := range 18 {
		MustSubject(t, h.Store, a, fmt.Sprintf("p%d@example.com", i), "Person")
		if i%3 == 0 {
			MustSubject(t, h.Store, b, fmt.Sprintf("q%d@example.com", i), "Other person")
		}
	}
	if _, _, err := h.Store.Subjects(ctx, a, steward.Page{}); err != nil {
		t.Fatal(err)
	}
	subs, _, err := h.Store.Subjects(ctx, a, steward.Page{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range subs {
		if _, err := h.Store.Subject(ctx, a, s.ID); err != nil {
			t.Fatal(err)
		}
	}
	leaves := h.rawLeaves(t, a.TenantID)
	n := int64(len(leaves))
	if n != 18+18+3+3 {
		t.Fatalf("log has %d entries, want 42", n)
	}
	roots := merkleRoots(t, leaves)

	t.Run("Checkpoint", func(t *testing.T) {
		for _, ten := range []string{a.TenantID, b.TenantID} {
			cp, err := h.Store.Checkpoint(ctx, ten)
			if err != nil {
				t.Fatal(err)
			}
			size, root := openCheckpoint(t, h.Store, ten, cp)
			want := merkleRoots(t, h.rawLeaves(t, ten))
			if size != int64(len(want)-1) || !bytes.Equal(root, want[len(want)-1]) {
				t.Fatalf("checkpoint of %s: size %d root %x; the leaves give size %d root %x", ten, size, root, len(want)-1, want[len(want)-1])
			}
		}
		// Another key does not verify it.
		_, vkey, err := note.GenerateKey(rand.Reader, auditlog.KeyName)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := note.NewVerifier(vkey)
		cp, _ := h.Store.Checkpoint(ctx, a.TenantID)
		if _, err := note.Open([]byte(cp.Note), note.VerifierList(v)); err == nil {
			t.Fatalf("checkpoint verifies with a stranger's key")
		}
	})

	t.Run("Inclusion", func(t *testing.T) {
		for _, tc := range [][2]int64{
			{0, 1}, {0, 2}, {1, 2}, {2, 3}, {3, 4}, {5, 8}, {7, 8}, {0, 16}, {15, 16}, {16, 17},
			{31, 32}, {32, 33}, {0, n}, {n / 2, n}, {n - 1, n}, {20, n - 1}, {33, 40},
		} {
			index, size := tc[0], tc[1]
			e, p, err := h.Store.InclusionProof(ctx, a.TenantID, index, size)
			if err != nil {
				t.Fatalf("InclusionProof(%d, %d): %v", index, size, err)
			}
			if e.Index != index || !bytes.Equal(auditlog.EncodeEntry(e), leaves[index]) {
				t.Fatalf("InclusionProof(%d, %d) returned entry %+v, not the stored leaf", index, size, e)
			}
			leaf := hasher.HashLeaf(leaves[index])
			if err := proof.VerifyInclusion(hasher, uint64(index), uint64(size), leaf, p, roots[size]); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", index, size, err)
			}
			// The same proof must not prove another leaf.
			other := hasher.HashLeaf(leaves[(index+1)%n])
			if size > 1 && proof.VerifyInclusion(hasher, uint64(index), uint64(size), other, p, roots[size]) == nil {
				t.Fatalf("inclusion proof of %d in %d also proves another leaf", index, size)
			}
		}
	})

	t.Run("Consistency", func(t *testing.T) {
		for _, tc := range [][2]int64{
			{1, 1}, {1, 2}, {1, n}, {2, 4}, {3, 7}, {4, 8}, {8, 8}, {7, 32}, {16, 32}, {17, 33},
			{32, n}, {31, n}, {n - 1, n}, {n, n}, {5, 33},
		} {
			from, to := tc[0], tc[1]
			p, err := h.Store.ConsistencyProof(ctx, a.TenantID, from, to)
			if err != nil {
				t.Fatalf("ConsistencyProof(%d, %d): %v", from, to, err)
			}
			if err := proof.VerifyConsistency(hasher, uint64(from), uint64(to), p, roots[from], roots[to]); err != nil {
				t.Fatalf("consistency %d -> %d: %v", from, to, err)
			}
			if from > 1 && from < to && proof.VerifyConsistency(hasher, uint64(from), uint64(to), p, roots[from-1], roots[to]) == nil {
				t.Fatalf("consistency proof %d -> %d also fits another old root", from, to)
			}
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range [][2]int64{{-1, n}, {n, n}, {0, 0}, {0, n + 1}, {5, 5}, {0, -1}} {
			_, _, err := h.Store.InclusionProof(ctx, a.TenantID, tc[0], tc[1])
			wantCode(t, err, steward.EInvalid)
		}
		for _, tc := range [][2]int64{{0, n}, {2, 1}, {1, n + 1}, {-1, 3}, {0, 0}, {n + 1, n + 1}} {
			_, err := h.Store.ConsistencyProof(ctx, a.TenantID, tc[0], tc[1])
			wantCode(t, err, steward.EInvalid)
		}
	})
}
