package auditlog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Builder recomputes a tree leaf by leaf in memory, keeping only the hashes
// later leaves and the root still need (O(log n)), so a verifier can stream
// a log of any length.
type Builder struct {
	n      int64
	hashes map[int64]tlog.Hash
}

// NewBuilder returns an empty tree.
func NewBuilder() *Builder { return &Builder{hashes: map[int64]tlog.Hash{}} }

// Size returns the number of leaves appended.
func (b *Builder) Size() int64 { return b.n }

// ReadHashes implements tlog.HashReader over the retained hashes.
func (b *Builder) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, idx := range indexes {
		h, ok := b.hashes[idx]
		if !ok {
			return nil, fmt.Errorf("auditlog: hash %d not retained", idx)
		}
		out[i] = h
	}
	return out, nil
}

// Append adds a leaf and returns the hashes tlog stores for it.
func (b *Builder) Append(data []byte) ([]tlog.Hash, error) {
	hs, err := tlog.StoredHashes(b.n, data, b)
	if err != nil {
		return nil, err
	}
	base := tlog.StoredHashIndex(0, b.n)
	for i, h := range hs {
		b.hashes[base+int64(i)] = h
		if i > 0 {
			// The children of a completed subtree are never read again.
			_, n := tlog.SplitStoredHashIndex(base + int64(i))
			delete(b.hashes, tlog.StoredHashIndex(i-1, 2*n))
			delete(b.hashes, tlog.StoredHashIndex(i-1, 2*n+1))
		}
	}
	b.n++
	return hs, nil
}

// Root returns the tree hash of the leaves appended so far.
func (b *Builder) Root() (tlog.Hash, error) { return tlog.TreeHash(b.n, b) }
