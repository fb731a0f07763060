package steward

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Tenant is a business that keeps its subjects' data in Steward.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// ValidateTenantName checks a tenant's display name.
func ValidateTenantName(name string) (string, error) {
	n, err := normalizeText("name", name, 200, false)
	if err != nil {
		return "", err
	}
	if n == "" || !utf8.ValidString(n) {
		return "", Errorf(EInvalid, "name", "name must not be empty")
	}
	return strings.TrimSpace(n), nil
}

// APIKey is a tenant's credential. Only a hash of its secret is stored.
type APIKey struct {
	ID        string     `json:"id"`
	TenantID  string     `json:"tenant_id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}
