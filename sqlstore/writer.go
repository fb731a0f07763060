package sqlstore

import (
	"context"
	"database/sql"
	"sort"
	"sync"
	"time"

	"github.com/stewardhq/steward"
)

// writer is the group committer: one goroutine takes every queued write
// operation, runs as many as are waiting in one transaction (each inside its
// own savepoint, so one failure does not undo the others), appends their
// audit entries, and commits once. One durable commit then acknowledges the
// whole batch, which is what lets a synchronous=FULL SQLite take thousands of
// writes a second. Background jobs enqueued with a Tx join the same commit.
type writer struct {
	s        *Store
	ops      chan *op
	maxBatch int
	hashes   *hashCache
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
	stats    writerStats
}

// op is one use case's writes.
type op struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	done chan struct{}
}

// Tx is the transaction an operation runs in, with the batch's one "now".
type Tx struct {
	tx      *sql.Tx
	d       *Dialect
	Now     time.Time
	pending []*steward.AuditEntry
}

// Exec runs a statement written with ? placeholders.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

// QueryRow runs a query written with ? placeholders.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

// Query runs a query written with ? placeholders.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

// SQL exposes the underlying transaction, for libraries (such as a job
// queue) that must write in the same commit.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// Audit queues an entry to be appended to its tenant's log in this commit.
// The entry's Index and Time are set when the batch is sequenced.
func (t *Tx) Audit(e *steward.AuditEntry) { t.pending = append(t.pending, e) }

var errWriterClosed = steward.Errorf(steward.EUnavailable, "", "the server is shutting down")

func newWriter(s *Store, maxBatch int) *writer {
	w := &writer{
		s: s, ops: make(chan *op, 4*maxBatch), maxBatch: maxBatch,
		hashes: newHashCache(), stop: make(chan struct{}), done: make(chan struct{}),
		stats: newWriterStats(),
	}
	go w.run()
	return w
}

// do runs fn in the next batch and waits until that batch is durable.
func (w *writer) do(ctx context.Context, fn func(*Tx) error) error {
	o := &op{ctx: ctx, fn: fn, done: make(chan struct{})}
	select {
	case <-w.stop:
		return errWriterClosed
	default:
	}
	select {
	case w.ops <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.stop:
		return errWriterClosed
	}
	<-o.done // Always wait: the op may already be part of a commit.
	return o.err
}

// audit appends entries in a batch of their own, for reads: the answer is
// sent only once the entries are durable.
func (w *writer) audit(ctx context.Context, entries ...*steward.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return w.do(ctx, func(tx *Tx) error {
		tx.pending = append(tx.pending, entries...)
		return nil
	})
}

func (w *writer) close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]*op, 0, w.maxBatch)
	for {
		select {
		case o := <-w.ops:
			batch = append(batch[:0], o)
		case <-w.stop:
			// Finish what was queued before the stop; nothing half-written.
			for {
				select {
				case o := <-w.ops:
					w.commit([]*op{o})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < w.maxBatch {
			select {
			case o := <-w.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit runs a batch in one transaction, retrying the whole batch on
// serialization failures, and releases every waiting operation.
func (w *writer) commit(batch []*op) {
	start := time.Now()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = w.try(batch)
		if err == nil || !w.s.d.IsRetryable(err) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 5 * time.Millisecond)
	}
	if err != nil {
		w.s.log.Error("write batch failed", "ops", len(batch), "err", err)
		for _, o := range batch {
			if o.err == nil {
				o.err = internal("commit", err)
			}
		}
	}
	w.stats.observe(len(batch), time.Since(start))
	for _, o := range batch {
		close(o.done)
	}
}

func (w *writer) try(batch []*op) error {
	ctx := context.Background() // Ops are bounded by their own checks, not a request's life.
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var entries []*steward.AuditEntry
	single := len(batch) == 1
	for _, o := range batch {
		o.err = nil
		if err := o.ctx.Err(); err != nil {
			o.err = err // The caller gave up before this op started: do nothing.
			continue
		}
		t := &Tx{tx: tx, d: w.s.d, Now: now}
		if !single {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT op"); err != nil {
				return err
			}
		}
		if err := o.fn(t); err != nil {
			o.err = err
			if single {
				return nil // Nothing to commit; the rollback is deferred.
			}
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT op"); rerr != nil {
				return rerr
			}
		} else {
			entries = append(entries, t.pending...)
		}
		if !single {
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT op"); err != nil {
				return err
			}
		}
	}
	staged, err := w.appendAudit(ctx, tx, entries, now)
	if err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	w.hashes.merge(staged)
	return nil
}

// appendAudit sequences the batch's entries into their tenants' logs,
// tenants in a fixed order so concurrent nodes never deadlock on heads.
func (w *writer) appendAudit(ctx context.Context, tx *sql.Tx, entries []*steward.AuditEntry, now time.Time) (*stagedHashes, error) {
	staged := newStagedHashes()
	if len(entries) == 0 {
		return staged, nil
	}
	byTenant := map[string][]*steward.AuditEntry{}
	var tenants []string
	for _, e := range entries {
		if _, ok := byTenant[e.TenantID]; !ok {
			tenants = append(tenants, e.TenantID)
		}
		byTenant[e.TenantID] = append(byTenant[e.TenantID], e)
	}
	sort.Strings(tenants)
	for _, tenant := range tenants {
		if err := w.appendTenant(ctx, tx, tenant, byTenant[tenant], now, staged); err != nil {
			return nil, err
		}
	}
	return staged, nil
}
