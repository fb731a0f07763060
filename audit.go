package steward

import "time"

// AuditAction names what was done to personal data.
type AuditAction string

// The audited actions.
const (
	ActionCreate AuditAction = "create"
	ActionRead   AuditAction = "read"
	ActionUpdate AuditAction = "update"
	ActionList   AuditAction = "list"
	ActionErase  AuditAction = "erase"
	// ActionDisclose records that categories of a subject were disclosed
	// to a recipient; its fields are the category keys.
	ActionDisclose AuditAction = "disclose"
)

// AuditEntry is one leaf of a tenant's transparency log. It names fields,
// never values.
type AuditEntry struct {
	Index     int64       `json:"index"`
	Time      time.Time   `json:"time"`
	TenantID  string      `json:"tenant_id"`
	Actor     string      `json:"actor"`
	Action    AuditAction `json:"action"`
	SubjectID string      `json:"subject_id,omitempty"`
	Fields    []string    `json:"fields,omitempty"`
	Purpose   string      `json:"purpose,omitempty"`
	RequestID string      `json:"request_id,omitempty"`
}

// Checkpoint is a signed statement of a tenant log's size and root hash, in
// the C2SP signed-note format.
type Checkpoint struct {
	Size     int64  `json:"size"`
	RootHash []byte `json:"root_hash"`
	Note     string `json:"note"` // The signed note, verifiable with VerifierKey.
}

// AuditVerification is the outcome of recomputing one tenant's log.
type AuditVerification struct {
	TenantID string `json:"tenant_id"`
	Size     int64  `json:"size"`
	OK       bool   `json:"ok"`
	// FirstBadIndex is the index of the first entry found altered, missing or
	// out of place; -1 when OK.
	FirstBadIndex int64  `json:"first_bad_index"`
	Problem       string `json:"problem,omitempty"`
}

// ErasureReceipt proves a subject was erased and says what was destroyed.
type ErasureReceipt struct {
	ID        string    `json:"id"`
	SubjectID string    `json:"subject_id"`
	ErasedAt  time.Time `json:"erased_at"`
	Destroyed []string  `json:"destroyed"`
	// AuditIndex is the index of the erase entry in the tenant's log.
	AuditIndex int64 `json:"audit_index"`
}
