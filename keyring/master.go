package keyring

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// masterPrefix marks a master key file so a wrong file is recognised as such.
const masterPrefix = "steward-master-key-v1:"

// ErrWrongMasterKey is returned when the master key does not open the key
// check stored with the data.
var ErrWrongMasterKey = errors.New("the master key does not match this data store (it was created with another key); nothing was changed")

// Master is the root of the hierarchy. It never encrypts data itself; it
// wraps tenant keys, blind-index keys and the audit signing key.
type Master struct {
	wrap *AEAD
}

// ParseMaster reads a master key in its text form.
func ParseMaster(text string) (*Master, error) {
	s, ok := strings.CutPrefix(strings.TrimSpace(text), masterPrefix)
	if !ok {
		return nil, fmt.Errorf("master key must start with %q", masterPrefix)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != KeySize {
		return nil, fmt.Errorf("master key must be %d bytes of base64 after the prefix", KeySize)
	}
	return newMaster(raw)
}

func newMaster(raw []byte) (*Master, error) {
	a, err := NewAEAD(Derive(raw, "master wrapping v1"))
	if err != nil {
		return nil, err
	}
	return &Master{wrap: a}, nil
}

// GenerateMaster returns a new master key and its text form.
func GenerateMaster() (*Master, string, error) {
	raw := NewKey()
	m, err := newMaster(raw)
	return m, masterPrefix + base64.StdEncoding.EncodeToString(raw) + "\n", err
}

// LoadOrCreateMasterFile reads the master key at path, creating it with mode
// 0600 if it does not exist and create is true. created reports a new key.
func LoadOrCreateMasterFile(path string, create bool) (m *Master, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if fi, statErr := os.Stat(path); statErr == nil && fi.Mode().Perm()&0o077 != 0 {
			return nil, false, fmt.Errorf("master key file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
		}
		m, err := ParseMaster(string(b))
		if err != nil {
			return nil, false, fmt.Errorf("master key file %s: %w", path, err)
		}
		return m, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) || !create {
		return nil, false, fmt.Errorf("read master key: %w", err)
	}
	m, text, err := GenerateMaster()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, err
	}
	// The key is written to a temporary file, synced, and then linked into
	// place: the link fails if another process got there first, and a
	// reader never sees a half-written key file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master.key.*")
	if err != nil {
		return nil, false, fmt.Errorf("create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, false, err
	}
	if err := tmp.Close(); err != nil {
		return nil, false, err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadOrCreateMasterFile(path, false)
		}
		return nil, false, fmt.Errorf("create master key: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return nil, false, err
	}
	return m, true, nil
}

// syncDir makes a new directory entry durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Wrap encrypts a lower key (or other secret) under the master key.
func (m *Master) Wrap(secret []byte, ad AD) []byte { return m.wrap.Seal(secret, ad) }

// Unwrap decrypts what Wrap produced.
func (m *Master) Unwrap(wrapped []byte, ad AD) ([]byte, error) { return m.wrap.Open(wrapped, ad) }

var checkValue = []byte("steward key check v1")

// CheckValue returns a wrapped known value stored with the data, so a later
// start can tell whether it holds the same master key before writing.
func (m *Master) CheckValue() []byte { return m.Wrap(checkValue, Bind("key-check")) }

// VerifyCheckValue returns ErrWrongMasterKey unless m made the check value.
func (m *Master) VerifyCheckValue(wrapped []byte) error {
	pt, err := m.Unwrap(wrapped, Bind("key-check"))
	if err != nil || !bytes.Equal(pt, checkValue) {
		return ErrWrongMasterKey
	}
	return nil
}
