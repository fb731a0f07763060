package auditlog

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/bits"
	"testing"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

func leaf(i int) []byte { return fmt.Appendf(nil, `{"index":%d}`, i) }

// mth is the RFC 6962 Merkle tree hash, written out from section 2.1.
func mth(leaves [][]byte) []byte {
	if len(leaves) == 1 {
		h := sha256.Sum256(append([]byte{0}, leaves[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(leaves[:k])...), mth(leaves[k:])...))
	return h[:]
}

// fullTree keeps every stored hash, the way a log server does.
type fullTree struct{ stored []tlog.Hash }

func (f *fullTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		if idx >= int64(len(f.stored)) {
			return nil, fmt.Errorf("hash %d not stored", idx)
		}
		out[i] = f.stored[idx]
	}
	return out, nil
}

func (f *fullTree) append(tb testing.TB, n int64, data []byte) []tlog.Hash {
	tb.Helper()
	hs, err := tlog.StoredHashes(n, data, f)
	if err != nil {
		tb.Fatal(err)
	}
	f.stored = append(f.stored, hs...)
	return hs
}

func TestBuilder_RootsMatchReferences(t *testing.T) {
	const max = 300
	b := NewBuilder()
	full := &fullTree{}
	hasher := rfc6962.DefaultHasher
	cr := (&compact.RangeFactory{Hash: hasher.HashChildren}).NewEmptyRange(0)
	var leaves [][]byte
	for i := range max {
		data := leaf(i)
		leaves = append(leaves, data)
		want := full.append(t, int64(i), data)
		got, err := b.Append(data)
		if err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("Append(%d) stored hashes %v, want %v", i, got, want)
		}
		if err := cr.Append(hasher.HashLeaf(data), nil); err != nil {
			t.Fatal(err)
		}

		n := int64(i + 1)
		if b.Size() != n {
			t.Fatalf("Size() = %d, want %d", b.Size(), n)
		}
		root, err := b.Root()
		if err != nil {
			t.Fatalf("Root() at size %d: %v", n, err)
		}
		tlogRoot, err := tlog.TreeHash(n, full)
		if err != nil {
			t.Fatal(err)
		}
		if root != tlogRoot {
			t.Fatalf("size %d: root %v, tlog.TreeHash %v", n, root, tlogRoot)
		}
		compactRoot, err := cr.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(root[:], compactRoot) {
			t.Fatalf("size %d: root %x, transparency-dev compact range %x", n, root[:], compactRoot)
		}
		if !bytes.Equal(root[:], mth(leaves)) {
			t.Fatalf("size %d: root %x, RFC 6962 MTH %x", n, root[:], mth(leaves))
		}
	}
}

func TestBuilder_RetainsLogN(t *testing.T) {
	const max = 5000
	b := NewBuilder()
	cr := (&compact.RangeFactory{Hash: rfc6962.DefaultHasher.HashChildren}).NewEmptyRange(0)
	for i := range max {
		data := leaf(i)
		if _, err := b.Append(data); err != nil {
			t.Fatalf("Append(%d): %v", i, err)
		}
		if err := cr.Append(rfc6962.DefaultHasher.HashLeaf(data), nil); err != nil {
			t.Fatal(err)
		}
		n := uint64(i + 1)
		if limit := 2*(bits.Len64(n)-1) + 2; len(b.hashes) > limit {
			t.Fatalf("after %d leaves the builder retains %d hashes, more than %d", n, len(b.hashes), limit)
		}
	}
	root, err := b.Root()
	if err != nil {
		t.Fatal(err)
	}
	want, err := cr.GetRootHash(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root[:], want) {
		t.Fatalf("root after %d leaves %x, want %x", max, root[:], want)
	}
}

func TestBuilder_Empty(t *testing.T) {
	b := NewBuilder()
	if b.Size() != 0 {
		t.Fatalf("Size() = %d", b.Size())
	}
	root, err := b.Root()
	want, _ := tlog.TreeHash(0, &fullTree{})
	if err != nil || root != want {
		t.Errorf("Root() of an empty tree = %v, %v; want %v", root, err, want)
	}
	if _, err := b.ReadHashes([]int64{0}); err == nil {
		t.Error("ReadHashes of an empty tree returned a hash")
	}
}

func TestLocate(t *testing.T) {
	const leaves = 200
	full := &fullTree{}
	for n := range int64(leaves) {
		hs := full.append(t, n, leaf(int(n)))
		base := tlog.StoredHashIndex(0, n)
		if base != int64(len(full.stored)-len(hs)) {
			t.Fatalf("leaf %d: stored hashes start at %d, tlog says %d", n, len(full.stored)-len(hs), base)
		}
		for off := range hs {
			gotLeaf, gotOff := Locate(base + int64(off))
			if gotLeaf != n || gotOff != off {
				t.Fatalf("Locate(%d) = (%d, %d), want (%d, %d)", base+int64(off), gotLeaf, gotOff, n, off)
			}
		}
	}
	if got, want := int64(len(full.stored)), tlog.StoredHashCount(leaves); got != want {
		t.Fatalf("checked %d stored hashes, tlog counts %d", got, want)
	}
}

func TestJoinSplitHashes(t *testing.T) {
	hs := []tlog.Hash{tlog.RecordHash([]byte("a")), tlog.RecordHash([]byte("b")), tlog.RecordHash([]byte("c"))}
	blob := JoinHashes(hs)
	if len(blob) != len(hs)*tlog.HashSize {
		t.Fatalf("blob is %d bytes", len(blob))
	}
	for i, want := range hs {
		if got, ok := SplitHash(blob, i); !ok || got != want {
			t.Errorf("SplitHash(%d) = %v, %v; want %v", i, got, ok, want)
		}
	}
	for _, c := range []struct {
		blob []byte
		i    int
	}{{blob, 3}, {blob[:len(blob)-1], 2}, {nil, 0}} {
		if _, ok := SplitHash(c.blob, c.i); ok {
			t.Errorf("SplitHash(%d-byte blob, %d) reported a hash", len(c.blob), c.i)
		}
	}
	if len(JoinHashes(nil)) != 0 {
		t.Error("JoinHashes(nil) is not empty")
	}
}
