// Package auditlog holds the pure parts of Steward's transparency log: how
// an audit entry becomes a leaf, where the tree's stored hashes live, and how
// checkpoints are signed and checked. The tree math is the Go team's
// golang.org/x/mod/sumdb/tlog (RFC 6962 hashing) and checkpoints are C2SP
// signed notes made with golang.org/x/mod/sumdb/note (Ed25519).
package auditlog

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/stewardhq/steward"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// KeyName names the checkpoint signing key in signed notes.
const KeyName = "steward-audit"

// Origin is the first line of a tenant log's checkpoints; it names the log.
func Origin(tenantID string) string { return "steward.audit/" + tenantID }

// DecodeEntry parses leaf data.
func DecodeEntry(b []byte) (*steward.AuditEntry, error) {
	var e steward.AuditEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// Locate says where the stored hash with tlog index i lives: stored hashes
// are kept with the leaf whose append completed them, in the order
// tlog.StoredHashes returns them, so the hash at (level, n) is number level
// of leaf (n+1)<<level - 1.
func Locate(i int64) (leaf int64, offset int) {
	level, n := tlog.SplitStoredHashIndex(i)
	return (n+1)<<level - 1, level
}

// GenerateKey returns a new signer key and its verifier key, in note format.
func GenerateKey() (skey, vkey string, err error) {
	return note.GenerateKey(rand.Reader, KeyName)
}

// Signer signs checkpoints.
type Signer struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
}

// NewSigner builds a signer from a note signer key.
func NewSigner(skey string) (*Signer, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	// The verifier key is derivable from the signer key; rebuilding it
	// here keeps one secret to store.
	vkey, err := verifierKey(skey)
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Signer{signer: s, verifier: v, vkey: vkey}, nil
}

// verifierKey turns "PRIVATE+KEY+name+hash+1<seed>" into the matching
// verifier key "name+hash+1<public>".
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return "", fmt.Errorf("audit signing key is malformed")
	}
	name := parts[2]
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 33 || raw[0] != 1 {
		return "", fmt.Errorf("audit signing key is malformed")
	}
	return note.NewEd25519VerifierKey(name, ed25519Public(raw[1:]))
}

// VerifierKey returns the key anyone can use to check checkpoints.
func (s *Signer) VerifierKey() string { return s.vkey }

// Verifier returns the note verifier for checkpoints.
func (s *Signer) Verifier() note.Verifier { return s.verifier }

// Sign returns a signed checkpoint of a tenant log.
func (s *Signer) Sign(tenantID string, size int64, root tlog.Hash) (string, error) {
	body := fmt.Sprintf("%s\n%d\n%s\n", Origin(tenantID), size, base64.StdEncoding.EncodeToString(root[:]))
	b, err := note.Sign(&note.Note{Text: body}, s.signer)
	return string(b), err
}

// OpenCheckpoint verifies a signed checkpoint and returns its contents.
func OpenCheckpoint(signed string, v note.Verifier, tenantID string) (size int64, root tlog.Hash, err error) {
	n, err := note.Open([]byte(signed), note.VerifierList(v))
	if err != nil {
		return 0, root, fmt.Errorf("checkpoint signature does not verify: %w", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != Origin(tenantID) {
		return 0, root, fmt.Errorf("checkpoint is not for this tenant's log")
	}
	size, err = strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 {
		return 0, root, fmt.Errorf("checkpoint size is malformed")
	}
	h, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return 0, root, fmt.Errorf("checkpoint root hash is malformed")
	}
	copy(root[:], h)
	return size, root, nil
}

// JoinHashes packs hashes into one blob for storage.
func JoinHashes(hs []tlog.Hash) []byte {
	var b bytes.Buffer
	for _, h := range hs {
		b.Write(h[:])
	}
	return b.Bytes()
}

// SplitHash returns hash number i of a blob made by JoinHashes.
func SplitHash(blob []byte, i int) (tlog.Hash, bool) {
	var h tlog.Hash
	if len(blob) < (i+1)*tlog.HashSize {
		return h, false
	}
	copy(h[:], blob[i*tlog.HashSize:])
	return h, true
}
