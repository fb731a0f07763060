package sqlite_test

import (
	"testing"

	"github.com/stewardhq/steward/storetest"
)

// TestFindAcrossProcesses moves emails between subjects through one store
// while another on the same data (another process, which remembers where
// its earlier finds led) does the finding.
func TestFindAcrossProcesses(t *testing.T) {
	server, other := twoProcesses(t)
	a, _ := storetest.MustTenant(t, other.Store, "Acme")
	storetest.MustFindChanges(t, other.Store, server.Store, a)
}
