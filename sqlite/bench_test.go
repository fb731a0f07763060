package sqlite_test

import (
	"testing"

	"github.com/stewardhq/steward/storetest"
)

func BenchmarkCreateSubject(b *testing.B)      { storetest.BenchCreateSubject(b, open) }
func BenchmarkFindSubjectByEmail(b *testing.B) { storetest.BenchFindSubjectByEmail(b, open) }

// The same with read audits through the journal, as a server runs.
func BenchmarkCreateSubjectJournaled(b *testing.B) {
	storetest.BenchCreateSubject(b, openJournaled)
}
func BenchmarkFindSubjectByEmailJournaled(b *testing.B) {
	storetest.BenchFindSubjectByEmail(b, openJournaled)
}
