package postgres_test

import (
	"testing"

	"github.com/stewardhq/steward/storetest"
)

func BenchmarkCreateSubject(b *testing.B)      { storetest.BenchCreateSubject(b, open) }
func BenchmarkFindSubjectByEmail(b *testing.B) { storetest.BenchFindSubjectByEmail(b, open) }
