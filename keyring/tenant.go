package keyring

import (
	"fmt"
	"strconv"
)

// TenantKey is one version of a tenant's key. It wraps subject data keys; it
// never encrypts personal data itself.
type TenantKey struct {
	TenantID string
	Version  int
	wrap     *AEAD
}

// NewTenantKey builds a tenant key from its raw bytes.
func NewTenantKey(tenantID string, version int, raw []byte) (*TenantKey, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("keyring: tenant key is %d bytes, want %d", len(raw), KeySize)
	}
	a, err := NewAEAD(Derive(raw, "subject-key wrapping v1"))
	if err != nil {
		return nil, err
	}
	return &TenantKey{TenantID: tenantID, Version: version, wrap: a}, nil
}

// TenantKeyAD binds a wrapped tenant key to its tenant and version.
func TenantKeyAD(tenantID string, version int) AD {
	return Bind("tenant-key", tenantID, strconv.Itoa(version))
}

// IndexKeyAD binds a wrapped blind-index key to its tenant.
func IndexKeyAD(tenantID string) AD { return Bind("index-key", tenantID) }

func subjectKeyAD(tenantID, subjectID string, version int) AD {
	return Bind("subject-key", tenantID, subjectID, strconv.Itoa(version))
}

// WrapSubjectKey encrypts a subject's data key under this tenant key.
func (k *TenantKey) WrapSubjectKey(subjectID string, dek []byte) []byte {
	return k.wrap.Seal(dek, subjectKeyAD(k.TenantID, subjectID, k.Version))
}

// OpenSubjectKey unwraps a subject's data key and returns its AEAD.
func (k *TenantKey) OpenSubjectKey(subjectID string, wrapped []byte) (*SubjectKey, error) {
	dek, err := k.wrap.Open(wrapped, subjectKeyAD(k.TenantID, subjectID, k.Version))
	if err != nil {
		return nil, err
	}
	return NewSubjectKey(k.TenantID, subjectID, dek)
}

// UnwrapSubjectKey returns the raw data key, for re-wrapping under another
// tenant key version during rotation.
func (k *TenantKey) UnwrapSubjectKey(subjectID string, wrapped []byte) ([]byte, error) {
	return k.wrap.Open(wrapped, subjectKeyAD(k.TenantID, subjectID, k.Version))
}

// SubjectKey encrypts one subject's records.
type SubjectKey struct {
	tenantID, subjectID string
	aead                *AEAD
}

// NewSubjectKey builds the AEAD of a subject's data key.
func NewSubjectKey(tenantID, subjectID string, dek []byte) (*SubjectKey, error) {
	a, err := NewAEAD(dek)
	if err != nil {
		return nil, err
	}
	return &SubjectKey{tenantID: tenantID, subjectID: subjectID, aead: a}, nil
}

// Record schema versions, part of every record's associated data.
const recordSchema = "v1"

// Seal encrypts one record of the subject. kind names the record ("profile",
// "message"), and recordID distinguishes records of one kind.
func (k *SubjectKey) Seal(kind, recordID string, plaintext []byte) []byte {
	return k.aead.Seal(plaintext, Bind(kind, k.tenantID, k.subjectID, recordID, recordSchema))
}

// Open decrypts a record sealed with the same kind and id.
func (k *SubjectKey) Open(kind, recordID string, ciphertext []byte) ([]byte, error) {
	return k.aead.Open(ciphertext, Bind(kind, k.tenantID, k.subjectID, recordID, recordSchema))
}
