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
	// indexIdle counts, per tenant, batches that skip the audit index's
	// upkeep (see compactIndexSometimes); only the writer goroutine uses it.
	indexIdle map[string]int
	s         *Store
	ops       chan *op
	maxBatch  int
	hashes    *hashCache
	stop      chan struct{}
	done      chan struct{}
	once      sync.Once
	stats     writerStats
	stmts     *stmtCache // Nil where the driver caches statements itself.
}

// op is one use case's writes.
type op struct {
	ctx     context.Context
	fn      func(*Tx) error       // Nil for an audit-only operation.
	entries []*steward.AuditEntry // An audit-only operation's entries.
	err     error
	done    chan struct{}
}

// Tx is the transaction an operation runs in, with the batch's one "now".
type Tx struct {
	tx      *sql.Tx
	d       *Dialect
	stmts   *stmtCache
	Now     time.Time
	pending []*steward.AuditEntry
}

// Statements in a batch never use the caller's context: cancelling it
// would interrupt the shared connection (SQLite rolls back the whole
// transaction on an interrupt), failing every other operation of the batch.
// An operation whose caller gave up before it started is skipped instead.
var batchCtx = context.Background()

// Exec runs a statement written with ? placeholders.
func (t *Tx) Exec(_ context.Context, q string, args ...any) (sql.Result, error) {
	ctx := batchCtx
	if st := t.stmts.get(ctx, q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.d.rebind(q), args...)
}

// QueryRow runs a query written with ? placeholders.
func (t *Tx) QueryRow(_ context.Context, q string, args ...any) *sql.Row {
	ctx := batchCtx
	if st := t.stmts.get(ctx, q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, t.d.rebind(q), args...)
}

// Query runs a query written with ? placeholders.
func (t *Tx) Query(_ context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx := batchCtx
	if st := t.stmts.get(ctx, q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, t.d.rebind(q), args...)
}

// stmtCache keeps the writer's statements prepared on its one connection,
// so an engine that compiles SQL on every call (SQLite) compiles each once.
// Only the writer goroutine uses it. A statement first seen inside a
// transaction runs unprepared and is prepared after the commit, when the
// single connection is free again.
type stmtCache struct {
	db      *sql.DB
	d       *Dialect
	stmts   map[string]*sql.Stmt
	missing []string
}

func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	st, ok := c.stmts[q]
	if !ok {
		c.stmts[q] = nil
		c.missing = append(c.missing, q)
	}
	return st
}

// prepareMissing prepares the statements seen since the last call; it must
// run outside any transaction.
func (c *stmtCache) prepareMissing() {
	if c == nil {
		return
	}
	for _, q := range c.missing {
		st, err := c.db.Prepare(c.d.rebind(q))
		if err != nil {
			delete(c.stmts, q) // The unprepared path reports the error.
			continue
		}
		c.stmts[q] = st
	}
	c.missing = c.missing[:0]
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	for _, st := range c.stmts {
		if st != nil {
			st.Close()
		}
	}
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
		hashes: newHashCache(), indexIdle: map[string]int{}, stop: make(chan struct{}), done: make(chan struct{}),
		stats: newWriterStats(),
	}
	if s.d.CacheStatements {
		w.stmts = &stmtCache{db: s.wdb, d: s.d, stmts: map[string]*sql.Stmt{}}
	}
	go w.run()
	return w
}

// do runs fn in the next batch and waits until that batch is durable.
func (w *writer) do(ctx context.Context, fn func(*Tx) error) error {
	return w.submit(&op{ctx: ctx, fn: fn, done: make(chan struct{})})
}

func (w *writer) submit(o *op) error {
	ctx := o.ctx
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
	// Always wait: the op may already be part of a commit. But a send that
	// raced with close may land after the writer drained the queue and
	// stopped; nothing will ever run it, so stop waiting then. The writer
	// closes o.done before it stops, so a taken op is never reported lost.
	select {
	case <-o.done:
	case <-w.done:
		select {
		case <-o.done:
		default:
			return errWriterClosed
		}
	}
	return o.err
}

// audit appends entries in a batch of their own, for reads: the answer is
// sent only once the entries are durable.
func (w *writer) audit(ctx context.Context, entries ...*steward.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return w.submit(&op{ctx: ctx, entries: entries, done: make(chan struct{})})
}

func (w *writer) close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

func (w *writer) run() {
	defer close(w.done)
	defer w.stmts.close()
	for {
		var batch []*op
		select {
		case o := <-w.ops:
			batch = append(make([]*op, 0, 16), o)
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
	var taken []queuedEntry // Journaled reads this batch folds first.
	if w.s.aj != nil {
		taken = w.s.aj.take()
	}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		err = w.try(batch, taken)
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
	if w.s.aj != nil {
		w.s.aj.settle(taken, err)
	}
	w.stmts.prepareMissing()
	w.stats.observe(len(batch), time.Since(start))
	release(batch)
}

// release wakes every operation of a batch.
func release(batch []*op) {
	for _, o := range batch {
		close(o.done)
	}
}

func (w *writer) try(batch []*op, taken []queuedEntry) error {
	ctx := batchCtx
	tx, err := w.s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UTC().Truncate(time.Microsecond)
	bt := &Tx{tx: tx, d: w.s.d, stmts: w.stmts, Now: now}
	entries := make([]*steward.AuditEntry, 0, len(taken)+len(batch))
	for _, q := range taken {
		entries = append(entries, q.e)
	}
	// Savepoints let one operation fail without undoing the others; a
	// batch of one with nothing else to commit, and audit-only operations
	// (which run no statements of their own), need none.
	single := len(batch) == 1 && len(taken) == 0
	for _, o := range batch {
		o.err = nil
		if err := o.ctx.Err(); err != nil {
			o.err = err // The caller gave up before this op started: do nothing.
			continue
		}
		if o.fn == nil {
			for _, e := range o.entries {
				e.Time = now // This attempt's time, also when the batch is retried.
			}
			entries = append(entries, o.entries...)
			continue
		}
		t := &Tx{tx: tx, d: w.s.d, stmts: w.stmts, Now: now}
		if !single {
			if _, err := bt.Exec(ctx, "SAVEPOINT op"); err != nil {
				return err
			}
		}
		if err := o.fn(t); err != nil {
			o.err = err
			if single {
				return nil // Nothing to commit; the rollback is deferred.
			}
			if _, rerr := bt.Exec(ctx, "ROLLBACK TO SAVEPOINT op"); rerr != nil {
				return rerr
			}
		} else {
			entries = append(entries, t.pending...)
		}
		if !single {
			if _, err := bt.Exec(ctx, "RELEASE SAVEPOINT op"); err != nil {
				return err
			}
		}
	}
	if len(taken) > 0 {
		if err := setFoldMark(ctx, bt, w.s.aj.j.Name(), taken[len(taken)-1].seq); err != nil {
			return err
		}
	}
	staged, err := w.appendAudit(ctx, bt, entries, now)
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
func (w *writer) appendAudit(ctx context.Context, tx *Tx, entries []*steward.AuditEntry, now time.Time) (*stagedHashes, error) {
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
