package sqlite_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/storetest"
)

// These measure the store paths without HTTP: run them with
//   go test -run X -bench . -cpu 16 ./sqlite/
// (-cpu sets the parallelism of RunParallel, i.e. concurrent clients).

func benchSubject(i int64) *steward.Subject {
	in := steward.SubjectInput{
		Kind: steward.KindEndUser, Source: steward.SourceRegistration,
		Email: &steward.Field[string]{Value: fmt.Sprintf("bench-%d@example.com", i)},
		Name:  &steward.Field[string]{Value: fmt.Sprintf("Bench Subject %d", i)},
	}
	s, err := in.Subject(time.Now())
	if err != nil {
		panic(err)
	}
	return s
}

func BenchmarkCreateSubject(b *testing.B) {
	h := open(b)
	a, _ := storetest.MustTenant(b, h.Store, "Bench")
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := h.Store.CreateSubject(context.Background(), a, benchSubject(n.Add(1)), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkFindSubjectByEmail(b *testing.B) {
	h := open(b)
	a, _ := storetest.MustTenant(b, h.Store, "Bench")
	const preload = 2000
	for i := int64(0); i < preload; i++ {
		if _, _, err := h.Store.CreateSubject(context.Background(), a, benchSubject(i), nil); err != nil {
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
