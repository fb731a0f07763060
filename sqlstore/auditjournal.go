package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"github.com/stewardhq/steward/journal"
)

// Reads are audited before they are answered, so on an embedded store every
// read would otherwise be a durable database commit of its own, queued
// behind the writes. With an audit journal, a read's entries are instead
// appended to a journal file (one fdatasync for every read that arrived
// while the previous one ran) and folded into the tenant's log by the
// writer's next batch, in the same commit as a mark saying how far the
// journal has been folded. Every batch folds first what the journal holds,
// so the log keeps the order in which things happened: a read answered
// before a write was asked for comes before it. A timer runs an empty batch
// when no writes come. A crash between journal and fold loses nothing: the
// next process to open the store folds what the journal holds beyond the
// mark (see foldOrphans). Entries keep the
// time of the read; their log index is given when they are folded (reads
// that overlap may be sequenced in another order than their times, by the
// microseconds between taking the time and the sequence number). Whoever
// reads the log (listings, checkpoints, proofs, verification) folds first,
// so it sees every access answered before it asked.

// journalPrefix names audit journal files in the data directory.
const journalPrefix = "audit"

const (
	// foldEvery is the longest a journaled entry waits to be folded.
	foldEvery = 20 * time.Millisecond
	// foldChunk bounds the entries of a dead process's journal folded in
	// one commit; this many queued entries also wake the folder early.
	foldChunk = 4096
	// resetAbove is how far into its file a journal writes before, once
	// everything in it is folded, it starts again from the beginning:
	// about 100,000 reads, so the brief hold that takes is rare.
	resetAbove = 32 << 20
)

// WithAuditJournal makes a store journal read audits in files in dir (see
// auditJournal). Only the process serving requests needs it.
func WithAuditJournal(dir string) Option {
	return func(c *Config) { c.AuditJournalDir = dir }
}

// WithAuditJournalRestart sets how many bytes a journal writes before it
// starts its file over (default 32 MiB): smaller keeps the file smaller,
// at the cost of holding reads more often for a moment.
func WithAuditJournalRestart(bytes int64) Option {
	return func(c *Config) { c.AuditJournalRestart = bytes }
}

type queuedEntry struct {
	seq uint64
	e   *steward.AuditEntry
}

// auditJournal queues read audits through a journal file into the log.
type auditJournal struct {
	s *Store
	j *journal.Journal

	mu         sync.Mutex
	queue      []queuedEntry // By sequence number; some may not be durable yet.
	foldedSeq  uint64        // The last entry folded.
	lastQueued uint64        // The last entry ever queued.
	lastErr    error         // Why the last batch that took entries failed.

	kick chan struct{}
	stop chan struct{}
	done chan struct{}

	closeOnce sync.Once
	closeErr  error

	restartAt int64 // See WithAuditJournalRestart.

	foldFailures prometheus.Counter
}

func journalMetaName(name string) string { return "journal:" + name }

// openAuditJournal starts a journal of this process's own.
func openAuditJournal(s *Store, dir string, restartAt int64) (*auditJournal, error) {
	j, err := journal.Create(dir, journalPrefix)
	if err != nil {
		return nil, err
	}
	if restartAt <= 0 {
		restartAt = resetAbove
	}
	aj := &auditJournal{s: s, j: j, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), restartAt: restartAt,
		foldFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "steward_audit_journal_fold_failures_total",
			Help: "Batches that failed to fold journaled read audits into the audit log (they are retried).",
		}),
	}
	go aj.run()
	return aj, nil
}

// foldOrphans folds every journal no live process holds and removes it.
func foldOrphans(ctx context.Context, s *Store, dir string) error {
	orphans, err := journal.Orphans(dir, journalPrefix)
	if err != nil {
		return fmt.Errorf("find audit journals: %w", err)
	}
	var errs []error
	for _, o := range orphans {
		if err := foldOrphan(ctx, s, o); err != nil {
			o.Close()
			errs = append(errs, fmt.Errorf("fold audit journal %s: %w", o.Name, err))
			continue
		}
		if err := o.Remove(); err != nil {
			errs = append(errs, err)
			continue
		}
		if err := s.forgetJournal(ctx, o.Name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func foldOrphan(ctx context.Context, s *Store, o *journal.Orphan) error {
	var folded uint64
	var raw []byte
	err := s.wdb.QueryRowContext(ctx, s.d.rebind(`SELECT value FROM steward_meta WHERE name = ?`), journalMetaName(o.Name)).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if err == nil {
		if folded, err = strconv.ParseUint(string(raw), 10, 64); err != nil {
			return fmt.Errorf("fold mark %q: %w", raw, err)
		}
	}
	var pending []queuedEntry
	for _, r := range o.Records {
		if r.Seq <= folded {
			continue
		}
		e, err := auditlog.DecodeEntry(r.Data)
		if err != nil {
			return fmt.Errorf("record %d: %w", r.Seq, err)
		}
		pending = append(pending, queuedEntry{seq: r.Seq, e: e})
	}
	folding := len(pending)
	for len(pending) > 0 {
		n := min(len(pending), foldChunk)
		if err := s.foldEntries(ctx, o.Name, pending[:n]); err != nil {
			return err
		}
		pending = pending[n:]
	}
	if len(o.Records) > 0 {
		s.log.Info("folded an audit journal left by a stopped process", "journal", o.Name, "records", len(o.Records), "folded_now", folding)
	}
	return nil
}

// foldEntries appends an orphan journal's entries to their tenants' logs
// and moves its fold mark, in one commit.
func (s *Store) foldEntries(ctx context.Context, name string, entries []queuedEntry) error {
	return s.w.do(ctx, func(tx *Tx) error {
		for _, q := range entries {
			tx.Audit(q.e)
		}
		return setFoldMark(ctx, tx, name, entries[len(entries)-1].seq)
	})
}

func setFoldMark(ctx context.Context, tx *Tx, name string, seq uint64) error {
	_, err := tx.Exec(ctx, `INSERT INTO steward_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`, journalMetaName(name), []byte(strconv.FormatUint(seq, 10)))
	if err != nil {
		return fmt.Errorf("mark audit journal folded: %w", err)
	}
	return nil
}

// forgetJournal drops the fold mark of a removed journal.
func (s *Store) forgetJournal(ctx context.Context, name string) error {
	return s.w.do(ctx, func(tx *Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM steward_meta WHERE name = ?`, journalMetaName(name))
		return err
	})
}

// append journals entries and returns once they are durable. They reach
// the log at the next fold.
func (aj *auditJournal) append(entries []*steward.AuditEntry) error {
	now := time.Now().UTC().Truncate(time.Microsecond)
	recs := make([][]byte, len(entries))
	for i, e := range entries {
		e.Time, e.Index = now, 0
		recs[i] = auditlog.EncodeEntry(e)
	}
	_, err := aj.j.Append(recs, func(first uint64) {
		aj.mu.Lock()
		for i, e := range entries {
			aj.queue = append(aj.queue, queuedEntry{seq: first + uint64(i), e: e})
		}
		aj.lastQueued = first + uint64(len(entries)) - 1
		n := len(aj.queue)
		aj.mu.Unlock()
		if n >= foldChunk {
			select {
			case aj.kick <- struct{}{}:
			default:
			}
		}
	})
	if err != nil {
		return steward.Errorf(steward.EUnavailable, "", "the access could not be audited, so it was refused")
	}
	return nil
}

func (aj *auditJournal) run() {
	defer close(aj.done)
	t := time.NewTicker(foldEvery)
	defer t.Stop()
	for {
		select {
		case <-aj.stop:
			return
		case <-t.C:
		case <-aj.kick:
		}
		if err := aj.fold(context.Background()); err != nil {
			aj.s.log.Error("fold audit journal", "err", err)
			continue
		}
		if aj.j.Size() > aj.restartAt {
			if err := aj.restart(); err != nil {
				aj.s.log.Error("restart audit journal", "err", err)
			}
		}
	}
}

// restart starts the journal's file over. Under steady load some append is
// always in flight, so it holds new appends while it folds what is left
// and resets; folding first without holding keeps that remainder, and so
// the wait of the reads held, to what arrived during one fold.
func (aj *auditJournal) restart() error {
	if err := aj.fold(context.Background()); err != nil {
		return err
	}
	aj.j.Hold()
	defer aj.j.Release()
	if err := aj.fold(context.Background()); err != nil {
		return err
	}
	aj.mu.Lock()
	seq := aj.foldedSeq
	aj.mu.Unlock()
	_, err := aj.j.Reset(seq)
	return err
}

// take removes every durable entry from the front of the queue, for the
// writer's batch: all of them, so that none answered before a write was
// asked for comes after it in the log. untake gives them back if the batch
// fails.
func (aj *auditJournal) take() []queuedEntry {
	durable := aj.j.Durable() // Before aj.mu: Append holds the journal's lock while it takes aj.mu.
	aj.mu.Lock()
	defer aj.mu.Unlock()
	n := 0
	for n < len(aj.queue) && aj.queue[n].seq <= durable {
		n++
	}
	if n == 0 {
		return nil
	}
	out := append([]queuedEntry(nil), aj.queue[:n]...)
	aj.queue = append(aj.queue[:0], aj.queue[n:]...)
	return out
}

func (aj *auditJournal) untake(taken []queuedEntry) {
	if len(taken) == 0 {
		return
	}
	aj.mu.Lock()
	defer aj.mu.Unlock()
	aj.queue = append(taken, aj.queue...)
}

// folded records that a batch holding taken committed.
func (aj *auditJournal) folded(taken []queuedEntry) {
	if len(taken) == 0 {
		return
	}
	aj.mu.Lock()
	aj.foldedSeq = taken[len(taken)-1].seq
	aj.mu.Unlock()
}

// settle gives taken entries back if their batch failed, or records that
// they are folded.
func (aj *auditJournal) settle(taken []queuedEntry, err error) {
	if len(taken) == 0 {
		return // A batch that folded nothing says nothing about folding.
	}
	aj.mu.Lock()
	aj.lastErr = err
	aj.mu.Unlock()
	if err != nil {
		aj.foldFailures.Inc()
		aj.untake(taken)
		return
	}
	aj.folded(taken)
}

// queued returns how many entries wait to be folded.
func (aj *auditJournal) queued() int {
	aj.mu.Lock()
	defer aj.mu.Unlock()
	return len(aj.queue)
}

// pending returns the sequence number up to which every journaled entry
// is durable and either queued, in a batch being committed, or folded.
func (aj *auditJournal) pending() uint64 {
	durable := aj.j.Durable()
	aj.mu.Lock()
	defer aj.mu.Unlock()
	return min(durable, aj.lastQueued)
}

// fold runs empty writer batches until every entry durable when it was
// called is folded.
func (aj *auditJournal) fold(ctx context.Context) error {
	target := aj.pending()
	for target > 0 {
		aj.mu.Lock()
		done := aj.foldedSeq >= target
		aj.mu.Unlock()
		if done {
			return nil
		}
		if err := aj.s.w.do(ctx, func(*Tx) error { return nil }); err != nil {
			return err
		}
		aj.mu.Lock()
		done, err := aj.foldedSeq >= target, aj.lastErr
		aj.mu.Unlock()
		if !done && err != nil {
			return err
		}
	}
	return nil
}

// close folds what is queued and removes the journal; if the fold fails
// the journal stays for the next start to fold. Later calls return the
// first one's result.
func (aj *auditJournal) close() error {
	aj.closeOnce.Do(func() { aj.closeErr = aj.shutdown() })
	return aj.closeErr
}

func (aj *auditJournal) shutdown() error {
	close(aj.stop)
	<-aj.done
	// No read may be answered from here on: every one answered before is
	// durable and queued, and the fold below takes them all.
	aj.j.Seal()
	if err := aj.fold(context.Background()); err != nil {
		aj.j.Close()
		return fmt.Errorf("fold audit journal at close: %w", err)
	}
	name := aj.j.Name()
	if err := aj.j.Remove(); err != nil {
		return err
	}
	return aj.s.forgetJournal(context.Background(), name)
}

// SyncAudit folds journaled reads into the audit log, so that a reader of
// the log sees every access answered before it asked. Without a journal it
// does nothing.
func (s *Store) SyncAudit(ctx context.Context) error {
	if s.aj == nil {
		return nil
	}
	if err := s.aj.fold(ctx); err != nil {
		return internal("fold audit journal", err)
	}
	return nil
}

// auditRead records reads, returning once the entries are durable.
func (s *Store) auditRead(ctx context.Context, entries ...*steward.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	if s.aj != nil {
		return s.aj.append(entries)
	}
	return s.w.audit(ctx, entries...)
}
