package sqlstore

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// writerStats exports the group committer's behaviour: how many operations
// share a commit and how long a commit takes.
type writerStats struct {
	batchSize prometheus.Histogram
	commitDur prometheus.Histogram
}

func newWriterStats() writerStats {
	return writerStats{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "steward_store_batch_operations",
			Help:    "Operations committed together in one durable transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10),
		}),
		commitDur: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "steward_store_batch_seconds",
			Help:    "Time to run and commit one batch of write operations.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}),
	}
}

func (s *writerStats) observe(ops int, d time.Duration) {
	s.batchSize.Observe(float64(ops))
	s.commitDur.Observe(d.Seconds())
}

// Collectors returns the store's Prometheus metrics.
func (s *Store) Collectors() []prometheus.Collector {
	cs := []prometheus.Collector{s.w.stats.batchSize, s.w.stats.commitDur,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "steward_lookup_cache_entries",
			Help: "Blind index to subject hints held in memory for finds.",
		}, func() float64 { return float64(s.LookupCacheSize()) }),
		s.lookups.outcomes,
	}
	if aj := s.aj; aj != nil {
		cs = append(cs,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "steward_audit_journal_syncs_total",
				Help: "Groups of read audits made durable together in the audit journal (one fdatasync each).",
			}, func() float64 { n, _ := aj.j.Stats(); return float64(n) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "steward_audit_journal_records_total",
				Help: "Read audits made durable in the audit journal.",
			}, func() float64 { _, n := aj.j.Stats(); return float64(n) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "steward_audit_journal_queued",
				Help: "Journaled read audits not yet folded into the audit log.",
			}, func() float64 { return float64(aj.queued()) }),
			aj.foldFailures,
		)
	}
	return cs
}
