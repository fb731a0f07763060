package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// Benchmarks of the store paths without HTTP, shared by both adapters. Run
// them with -cpu 16 to get 16 concurrent callers from RunParallel:
//
//	go test -run X -bench . -cpu 16 ./sqlite/ ./postgres/

func benchSubject(tb testing.TB, i int64) *steward.Subject {
	in := steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceRegistration,
		Email: &steward.Field[string]{Value: fmt.Sprintf("bench-%d@example.com", i)},
		Name:  &steward.Field[string]{Value: fmt.Sprintf("Bench Subject %d", i)},
	}
	s, err := in.Subject(time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// BenchCreateSubject measures durable, audited subject creation.
func BenchCreateSubject(b *testing.B, open Opener) {
	h := open(b)
	a, _ := MustTenant(b, h.Store, "Bench")
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := h.Store.CreateSubject(context.Background(), a, benchSubject(b, n.Add(1)), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchFindSubjectByEmail measures a blind-index lookup, decryption and the
// durable audit entry written before the answer.
func BenchFindSubjectByEmail(b *testing.B, open Opener) {
	h := open(b)
	a, _ := MustTenant(b, h.Store, "Bench")
	const preload = 2000
	for i := int64(0); i < preload; i++ {
		if _, _, err := h.Store.CreateSubject(context.Background(), a, benchSubject(b, i), nil); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			email := fmt.Sprintf("bench-%d@example.com", n.Add(1)%preload)
			if _, err := h.Store.FindSubject(context.Background(), a, steward.SubjectLookup{Email: email}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
