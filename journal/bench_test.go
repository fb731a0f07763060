//go:build unix

package journal

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkAppendConcurrent appends 300-byte records (about an audit
// entry) from 8 goroutines per processor, each waiting for its record to
// be durable, as audited reads do. Besides the time per append it reports
// the records each fdatasync carried and the process CPU per append, which
// is what the goroutines parking and waking around the syncs cost.
func BenchmarkAppendConcurrent(b *testing.B) {
	j := mustCreate(b, b.TempDir())
	defer j.Close()
	rec := [][]byte{make([]byte, 300)}
	if _, err := j.Append(rec, nil); err != nil { // Grows the file first.
		b.Fatal(err)
	}
	syncs0, records0 := j.Stats()
	cpu0 := processCPU()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := j.Append(rec, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	syncs, records := j.Stats()
	b.ReportMetric(float64(records-records0)/float64(syncs-syncs0), "records/sync")
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
