// Package keyring owns Steward's key hierarchy: the master key (a file or
// an environment value), tenant keys wrapped by it, subject data keys
// wrapped by tenant keys, the per-tenant blind-index keys used for lookups,
// and the AEAD and HMAC primitives over them. Every cipher is AES-256-GCM
// from the standard library with a fresh random 96-bit nonce per message,
// and every ciphertext is bound by associated data to where it lives.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
)

// KeySize is the size of every symmetric key, in bytes.
const KeySize = 32

// formatV1 prefixes every ciphertext so a future format can be told apart.
const formatV1 = 1

// ErrDecrypt is returned when a ciphertext fails authentication: a wrong
// key, altered bytes, or a ciphertext moved to a place its associated data
// does not describe.
var ErrDecrypt = errors.New("keyring: ciphertext failed authentication")

// NewKey returns a fresh random key.
func NewKey() []byte {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		panic(err) // crypto/rand never fails on supported platforms.
	}
	return k
}

// AEAD seals and opens messages with one key.
type AEAD struct{ gcm cipher.AEAD }

// NewAEAD returns an AES-256-GCM AEAD for key.
func NewAEAD(key []byte) (*AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("keyring: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &AEAD{gcm: gcm}, nil
}

// Seal encrypts plaintext bound to ad and returns version‖nonce‖ciphertext.
func (a *AEAD) Seal(plaintext []byte, ad AD) []byte {
	ns := a.gcm.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+a.gcm.Overhead())
	out[0] = formatV1
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		panic(err)
	}
	return a.gcm.Seal(out, out[1:1+ns], plaintext, ad)
}

// Open decrypts a Seal output that was bound to ad.
func (a *AEAD) Open(ciphertext []byte, ad AD) ([]byte, error) {
	ns := a.gcm.NonceSize()
	if len(ciphertext) < 1+ns+a.gcm.Overhead() || ciphertext[0] != formatV1 {
		return nil, ErrDecrypt
	}
	pt, err := a.gcm.Open(nil, ciphertext[1:1+ns], ciphertext[1+ns:], ad)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// AD is associated data: an unambiguous encoding of the parts that say where
// a ciphertext lives (kind, tenant, subject, field, schema version).
type AD []byte

// Bind encodes parts with length prefixes, so ("ab","c") and ("a","bc")
// differ.
func Bind(parts ...string) AD {
	n := 0
	for _, p := range parts {
		n += 4 + len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = binary.BigEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// Derive returns a subkey of parent for one job, named by label (HKDF-SHA256).
// Keys with different jobs never share bytes.
func Derive(parent []byte, label string) []byte {
	k, err := hkdf.Key(sha256.New, parent, nil, "steward "+label, KeySize)
	if err != nil {
		panic(err) // Only fails for absurd lengths.
	}
	return k
}

// IndexKey computes keyed blind indexes for one tenant.
type IndexKey struct{ key []byte }

// NewIndexKey wraps a raw per-tenant index key. A key of the wrong size is
// a programming error: an empty one would make every blind index a value
// anyone can compute.
func NewIndexKey(raw []byte) *IndexKey {
	if len(raw) != KeySize {
		panic(fmt.Sprintf("keyring: index key is %d bytes, want %d", len(raw), KeySize))
	}
	return &IndexKey{key: Derive(raw, "blind index v1")}
}

// Blind returns HMAC-SHA-256 over kind and an already normalised value.
func (k *IndexKey) Blind(kind, normalized string) []byte {
	m := hmac.New(sha256.New, k.key)
	m.Write(Bind(kind, normalized))
	return m.Sum(nil)
}
