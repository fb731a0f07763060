package keyring_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/stewardhq/steward/keyring"
)

// MustAEAD returns an AEAD over a fresh key.
func MustAEAD(tb testing.TB) *keyring.AEAD {
	tb.Helper()
	a, err := keyring.NewAEAD(keyring.NewKey())
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

func TestNewKey(t *testing.T) {
	a, b := keyring.NewKey(), keyring.NewKey()
	if len(a) != keyring.KeySize || len(b) != keyring.KeySize {
		t.Fatalf("key sizes %d, %d", len(a), len(b))
	}
	if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, keyring.KeySize)) {
		t.Fatal("NewKey is not random")
	}
}

func TestNewAEAD_KeySize(t *testing.T) {
	for _, n := range []int{0, 1, 16, 24, 31, 33, 64} {
		if a, err := keyring.NewAEAD(make([]byte, n)); err == nil || a != nil {
			t.Errorf("NewAEAD accepted a %d-byte key", n)
		}
	}
	if _, err := keyring.NewAEAD(make([]byte, keyring.KeySize)); err != nil {
		t.Errorf("NewAEAD rejected a %d-byte key: %v", keyring.KeySize, err)
	}
}

func TestAEAD_RoundTrip(t *testing.T) {
	a := MustAEAD(t)
	ad := keyring.Bind("profile", "ten_1", "sub_1")
	for _, pt := range [][]byte{{}, []byte("x"), []byte("Ada Lovelace, ada@example.com"), bytes.Repeat([]byte{0xff}, 5000)} {
		ct := a.Seal(pt, ad)
		// Version byte, 96-bit nonce, ciphertext, 128-bit tag.
		if len(ct) != 1+12+len(pt)+16 || ct[0] != 1 {
			t.Errorf("Seal(%d bytes) = %d bytes starting %#x", len(pt), len(ct), ct[0])
		}
		if len(pt) > 8 && bytes.Contains(ct, pt[:8]) {
			t.Errorf("ciphertext holds the plaintext")
		}
		got, err := a.Open(ct, ad)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("Open(Seal(%q)) = %q, %v", pt, got, err)
		}
	}
}

func TestAEAD_RandomNonce(t *testing.T) {
	a := MustAEAD(t)
	pt, ad := []byte("same plaintext"), keyring.Bind("x")
	seen := map[string]bool{}
	nonces := map[string]bool{}
	for range 100 {
		ct := a.Seal(pt, ad)
		if seen[string(ct)] || nonces[string(ct[1:13])] {
			t.Fatal("two seals of the same plaintext share a ciphertext or nonce")
		}
		seen[string(ct)], nonces[string(ct[1:13])] = true, true
	}
}

func TestAEAD_EveryBitFlipFails(t *testing.T) {
	a := MustAEAD(t)
	ad := keyring.Bind("profile", "ten_1", "sub_1")
	ct := a.Seal([]byte("a secret worth 32 bytes exactly!"), ad)
	for i := range ct {
		for bit := range 8 {
			bad := bytes.Clone(ct)
			bad[i] ^= 1 << bit
			if pt, err := a.Open(bad, ad); !errors.Is(err, keyring.ErrDecrypt) || pt != nil {
				t.Fatalf("flipping bit %d of byte %d: Open = %q, %v; want ErrDecrypt", bit, i, pt, err)
			}
		}
	}
}

func TestAEAD_OpenFailures(t *testing.T) {
	a := MustAEAD(t)
	ad := keyring.Bind("profile", "ten_1", "sub_1")
	ct := a.Seal([]byte("secret"), ad)
	empty := a.Seal(nil, ad)
	tests := []struct {
		name string
		ct   []byte
		ad   keyring.AD
		aead *keyring.AEAD
	}{
		{"WrongAD", ct, keyring.Bind("profile", "ten_1", "sub_2"), a},
		{"NoAD", ct, nil, a},
		{"ADPrefix", ct, keyring.Bind("profile", "ten_1"), a},
		{"WrongKey", ct, ad, MustAEAD(t)},
		{"Nil", nil, ad, a},
		{"Empty", []byte{}, ad, a},
		{"VersionOnly", ct[:1], ad, a},
		{"NoTag", ct[:13], ad, a},
		{"TruncatedByOne", ct[:len(ct)-1], ad, a},
		{"EmptyPlaintextTruncated", empty[:len(empty)-1], ad, a},
		{"Extended", append(bytes.Clone(ct), 0), ad, a},
		{"UnknownVersion", append([]byte{2}, ct[1:]...), ad, a},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if pt, err := tt.aead.Open(tt.ct, tt.ad); !errors.Is(err, keyring.ErrDecrypt) || pt != nil {
				t.Errorf("Open = %q, %v; want ErrDecrypt", pt, err)
			}
		})
	}
	if pt, err := a.Open(empty, ad); err != nil || len(pt) != 0 {
		t.Errorf("empty plaintext: %q, %v", pt, err)
	}
}

func TestBind(t *testing.T) {
	// The encoding is part of every stored ciphertext's associated data, so
	// it must never change.
	want := []byte{0, 0, 0, 2, 'a', 'b', 0, 0, 0, 1, 'c'}
	if got := keyring.Bind("ab", "c"); !bytes.Equal(got, want) {
		t.Errorf("Bind(ab, c) = %v, want %v", []byte(got), want)
	}
	distinct := [][]string{
		{"ab", "c"}, {"a", "bc"}, {"abc"}, {"a", "b", "c"}, {"abc", ""}, {"", "abc"},
		{}, {""}, {"", ""}, {"\x00\x00\x00\x01c"}, {"a\x00\x00\x00\x01", "c"},
	}
	seen := map[string][]string{}
	for _, parts := range distinct {
		b := string(keyring.Bind(parts...))
		if prev, ok := seen[b]; ok {
			t.Errorf("Bind(%q) == Bind(%q)", parts, prev)
		}
		seen[b] = parts
	}
}

func TestDerive(t *testing.T) {
	parent, other := keyring.NewKey(), keyring.NewKey()
	enc := keyring.Derive(parent, "encryption")
	if len(enc) != keyring.KeySize {
		t.Fatalf("derived %d bytes", len(enc))
	}
	if !bytes.Equal(enc, keyring.Derive(parent, "encryption")) {
		t.Error("Derive is not deterministic")
	}
	keys := map[string]string{string(parent): "parent", string(other): "other parent"}
	for _, c := range []struct {
		name   string
		parent []byte
		label  string
	}{
		{"encryption", parent, "encryption"},
		{"blind index", parent, "blind index v1"},
		{"audit signing", parent, "audit signing"},
		{"empty label", parent, ""},
		{"label case", parent, "Encryption"},
		{"other parent", other, "encryption"},
	} {
		k := string(keyring.Derive(c.parent, c.label))
		if prev, ok := keys[k]; ok {
			t.Errorf("%s derives the same key as %s", c.name, prev)
		}
		keys[k] = c.name
	}
}

func TestIndexKeyBlind(t *testing.T) {
	raw := keyring.NewKey()
	k := keyring.NewIndexKey(raw)
	b := k.Blind("email", "ada@example.com")
	if len(b) != sha256.Size {
		t.Fatalf("blind index is %d bytes", len(b))
	}
	if !bytes.Equal(b, k.Blind("email", "ada@example.com")) {
		t.Error("Blind is not deterministic")
	}
	if !bytes.Equal(b, keyring.NewIndexKey(raw).Blind("email", "ada@example.com")) {
		t.Error("the same raw key gives another index")
	}
	plain := sha256.Sum256([]byte("ada@example.com"))
	bound := sha256.Sum256(keyring.Bind("email", "ada@example.com"))
	m := hmac.New(sha256.New, raw)
	m.Write(keyring.Bind("email", "ada@example.com"))
	rawHMAC := m.Sum(nil)
	others := map[string][]byte{
		"other key":           keyring.NewIndexKey(keyring.NewKey()).Blind("email", "ada@example.com"),
		"username kind":       k.Blind("username", "ada@example.com"),
		"other value":         k.Blind("email", "ada@example.org"),
		"kind/value boundary": k.Blind("emai", "lada@example.com"),
		"sha256(value)":       plain[:],
		"sha256(bound value)": bound[:],
		"HMAC with raw key":   rawHMAC,
	}
	for name, o := range others {
		if bytes.Equal(b, o) {
			t.Errorf("blind index equals %s", name)
		}
	}
}
