package sqlstore

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
)

// The audit log's index by subject is log-structured: every batch that
// appends entries writes one sorted run of (subject hash, index) keys, and
// runs of a level are merged, a bounded step per batch, into one run of the
// next level. A B-tree keyed by subject would cost every audited read a
// random page write; a run is written at the right edge of its table in
// chunks of packed keys, so the batches of a read-heavy load dirty a few
// pages instead of one per entry. Queries probe each live run.
//
// A key is 16 bytes, big-endian so that bytes compare as the key does: a
// 64-bit FNV-1a hash of the subject id, then the entry's index. Hashes may
// collide; a query checks the subject id of every entry it reads.
const (
	indexKeySize = 16
	// indexFanout runs of one level are merged into one of the next.
	indexFanout = 8
	// indexDeleteChunks is the most chunk rows a step deletes from one
	// merged-away run, and the step's budget across them.
	indexDeleteChunks = 64
)

// Variables only so that tests can reach multi-step merges with little
// data.
var (
	// indexChunkKeys is the most keys one chunk row holds (16 KiB).
	indexChunkKeys = 1024
	// indexStepKeys is the most keys a merge step writes in one batch. The
	// longest a batch can wait on compaction stays a few milliseconds, and
	// merging keeps up with appends: an entry is merged once per level.
	indexStepKeys = 16384
)

// Run states in audit_runs.
const (
	runBuilding = 0 // A merge is writing it; queries do not read it yet.
	runLive     = 1
	runDead     = 2 // Merged into another run; its chunks are being deleted.
)

// subjectHash is a variable only so that a test can make every subject
// collide.
var subjectHash = func(subjectID string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(subjectID))
	return h.Sum64()
}

// ikey is an index key: what its 16 bytes say.
type ikey struct{ hash, idx uint64 }

func indexKey(subjectID string, idx int64) ikey {
	return ikey{subjectHash(subjectID), uint64(idx)}
}

func cmpKey(a, b ikey) int {
	if c := cmp.Compare(a.hash, b.hash); c != 0 {
		return c
	}
	return cmp.Compare(a.idx, b.idx)
}

func (k ikey) bytes() []byte {
	b := k.array()
	return b[:]
}

func (k ikey) array() (b [indexKeySize]byte) {
	binary.BigEndian.PutUint64(b[:], k.hash)
	binary.BigEndian.PutUint64(b[8:], k.idx)
	return b
}

// parseKey reads a stored key; the empty key (a merge not yet begun) is
// before every other, and reported as !ok.
func parseKey(b []byte) (k ikey, ok bool, err error) {
	switch len(b) {
	case 0:
		return ikey{}, false, nil
	case indexKeySize:
		return ikey{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, true, nil
	}
	return ikey{}, false, fmt.Errorf("audit index key of %d bytes", len(b))
}

// splitKeys decodes a chunk's data.
func splitKeys(data []byte) ([]ikey, error) {
	if len(data) == 0 || len(data)%indexKeySize != 0 {
		return nil, fmt.Errorf("audit index chunk of %d bytes", len(data))
	}
	keys := make([]ikey, 0, len(data)/indexKeySize)
	for off := 0; off < len(data); off += indexKeySize {
		keys = append(keys, ikey{binary.BigEndian.Uint64(data[off:]), binary.BigEndian.Uint64(data[off+8:])})
	}
	return keys, nil
}

// indexTx is what the index needs of a transaction: the writer's Tx, or
// a plain one during the backfill.
type indexTx interface {
	Exec(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryRow(ctx context.Context, q string, args ...any) *sql.Row
	Query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

// writeRunKeys writes sorted keys as chunks of run.
func writeRunKeys(ctx context.Context, tx indexTx, tenant string, run int64, keys []ikey) error {
	for start := 0; start < len(keys); start += indexChunkKeys {
		part := keys[start:min(start+indexChunkKeys, len(keys))]
		data := make([]byte, 0, len(part)*indexKeySize)
		for _, k := range part {
			data = binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(data, k.hash), k.idx)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO audit_index_chunks (tenant_id, run, first_key, data) VALUES (?, ?, ?, ?)`, tenant, run, data[:indexKeySize], data); err != nil {
			return fmt.Errorf("write audit index chunk: %w", err)
		}
	}
	return nil
}

// A run's number is derived, never allocated: (x << runLevelBits) | level,
// where x is the first entry index of the run's newest level-0 ancestor
// (itself, at level 0). Level-0 runs cover disjoint ranges of entries, and
// the runs merged into different runs of one level have disjoint
// ancestors, so numbers never repeat, whichever process or node writes the
// run; and new runs number higher than old ones, so they are written at the
// right edge of the tables.
const runLevelBits = 6

func levelZeroRun(firstIdx int64) int64 { return firstIdx << runLevelBits }

// mergedRun numbers the run that merges inputs into level.
func mergedRun(inputs []int64, level int64) int64 {
	return slices.Max(inputs)>>runLevelBits<<runLevelBits | level
}

// addRun indexes appended entries as a new live run of level 0.
func addRun(ctx context.Context, tx indexTx, tenant string, entries []*steward.AuditEntry) error {
	var keys []ikey
	for _, e := range entries {
		if e.SubjectID != "" {
			keys = append(keys, indexKey(e.SubjectID, e.Index))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	run := levelZeroRun(int64(keys[0].idx))
	slices.SortFunc(keys, cmpKey)
	if err := writeRunKeys(ctx, tx, tenant, run, keys); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_runs (tenant_id, run, level, state, inputs, progress) VALUES (?, ?, 0, ?, '', ?)`, tenant, run, runLive, []byte{}); err != nil {
		return fmt.Errorf("add audit index run: %w", err)
	}
	return nil
}

// indexRun is a row of audit_runs.
type indexRun struct {
	run, level int64
	state      int
	inputs     []int64
	progress   []byte
}

func loadRuns(ctx context.Context, tx indexTx, tenant string) ([]indexRun, error) {
	rows, err := tx.Query(ctx, `SELECT run, level, state, inputs, progress FROM audit_runs WHERE tenant_id = ? ORDER BY run`, tenant)
	if err != nil {
		return nil, fmt.Errorf("read audit index runs: %w", err)
	}
	defer rows.Close()
	var out []indexRun
	for rows.Next() {
		var r indexRun
		var inputs string
		if err := rows.Scan(&r.run, &r.level, &r.state, &inputs, &r.progress); err != nil {
			return nil, fmt.Errorf("read audit index runs: %w", err)
		}
		if r.inputs, err = parseRuns(inputs); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func parseRuns(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("audit index run list %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

func formatRuns(runs []int64) string {
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = strconv.FormatInt(r, 10)
	}
	return strings.Join(parts, ",")
}

// indexIdleBatches is how many of a tenant's batches skip the index's
// upkeep after one that found nothing to do. A level fills only every
// indexFanout batches, and the upkeep costs a query even when idle; a skip
// only delays merges, which listings never depend on.
const indexIdleBatches = indexFanout / 2

// compactIndexSometimes runs compactIndex, except in the indexIdleBatches
// batches of a tenant that follow one in which it had nothing to do.
func (w *writer) compactIndexSometimes(ctx context.Context, tx indexTx, tenant string) error {
	if n := w.indexIdle[tenant]; n > 0 {
		w.indexIdle[tenant] = n - 1
		return nil
	}
	busy, err := compactIndex(ctx, tx, tenant)
	if err != nil || busy {
		return err
	}
	if len(w.indexIdle) > maxCachedTenants {
		clear(w.indexIdle)
	}
	w.indexIdle[tenant] = indexIdleBatches
	return nil
}

// compactIndex does one bounded step of a tenant's index upkeep: it
// deletes some chunks of merged-away runs, then continues the merge in
// progress or starts one where a level has indexFanout live runs. It
// reports whether there was anything to do.
func compactIndex(ctx context.Context, tx indexTx, tenant string) (busy bool, err error) {
	runs, err := loadRuns(ctx, tx, tenant)
	if err != nil {
		return false, err
	}
	var building *indexRun
	byLevel := map[int64][]int64{}
	// Shared by the dead runs, to bound the step: each run gives up to
	// indexDeleteChunks chunks while any of the budget is left, so a step
	// deletes fewer than twice that many.
	deletable := indexDeleteChunks
	for i, r := range runs {
		switch r.state {
		case runDead:
			busy = true
			if deletable <= 0 {
				continue
			}
			n, err := deleteRunChunks(ctx, tx, tenant, r.run)
			if err != nil {
				return true, err
			}
			deletable -= n
		case runBuilding:
			building = &runs[i]
		case runLive:
			byLevel[r.level] = append(byLevel[r.level], r.run)
		}
	}
	if building == nil {
		building, err = startMerge(ctx, tx, tenant, byLevel)
		if building == nil || err != nil {
			return busy, err
		}
	}
	return true, mergeStep(ctx, tx, tenant, building)
}

// deleteRunChunks deletes up to indexDeleteChunks chunks of a dead run, and
// the run once none are left, returning how many chunks it deleted.
//
// The limit is written into the statement rather than bound: SQLite plans
// with a bound LIMIT's value and prepares the statement again whenever a
// different one is bound. With a limit that shrank as the step's budget
// was spent, that happened on nearly every call: deleting chunks took 8%
// of the writer's time in a profile of creates at a million subjects, half
// of it in preparing the statement again.
func deleteRunChunks(ctx context.Context, tx indexTx, tenant string, run int64) (int, error) {
	res, err := tx.Exec(ctx, deleteRunChunksSQL, tenant, run, tenant, run)
	if err != nil {
		return 0, fmt.Errorf("delete merged audit index run: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil || int(n) >= indexDeleteChunks {
		return int(n), err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM audit_runs WHERE tenant_id = ? AND run = ?`, tenant, run); err != nil {
		return int(n), fmt.Errorf("delete merged audit index run: %w", err)
	}
	return int(n), nil
}

var deleteRunChunksSQL = fmt.Sprintf(`DELETE FROM audit_index_chunks WHERE tenant_id = ? AND run = ? AND first_key IN (SELECT first_key FROM audit_index_chunks WHERE tenant_id = ? AND run = ? ORDER BY first_key LIMIT %d)`, indexDeleteChunks)

// startMerge begins merging the oldest indexFanout live runs of the lowest
// level that has that many, or returns nil when none has.
func startMerge(ctx context.Context, tx indexTx, tenant string, byLevel map[int64][]int64) (*indexRun, error) {
	level := int64(-1)
	for l, rs := range byLevel {
		if len(rs) >= indexFanout && (level < 0 || l < level) {
			level = l
		}
	}
	if level < 0 || level+1 >= 1<<runLevelBits {
		return nil, nil
	}
	inputs := byLevel[level][:indexFanout] // Ordered by run, oldest first.
	r := &indexRun{run: mergedRun(inputs, level+1), level: level + 1, state: runBuilding, inputs: inputs, progress: []byte{}}
	if _, err := tx.Exec(ctx, `INSERT INTO audit_runs (tenant_id, run, level, state, inputs, progress) VALUES (?, ?, ?, ?, ?, ?)`,
		tenant, r.run, r.level, r.state, formatRuns(inputs), r.progress); err != nil {
		return nil, fmt.Errorf("start audit index merge: %w", err)
	}
	return r, nil
}

// mergeStep writes up to indexStepKeys keys of a merge, past its progress
// key, and makes the merged run live once every input is written.
func mergeStep(ctx context.Context, tx indexTx, tenant string, m *indexRun) error {
	per := indexStepKeys / len(m.inputs)
	after, started, err := parseKey(m.progress)
	if err != nil {
		return err
	}
	var all []ikey
	var bound *ikey // The smallest last key read of an input not read to its end.
	for _, in := range m.inputs {
		keys, more, err := readRunFrom(ctx, tx, tenant, in, after, started, per)
		if err != nil {
			return err
		}
		all = append(all, keys...)
		if more && (bound == nil || cmpKey(keys[len(keys)-1], *bound) < 0) {
			bound = &keys[len(keys)-1]
		}
	}
	slices.SortFunc(all, cmpKey)
	if bound != nil {
		// Keys past the bound may be preceded by unread keys of the input
		// that set it; they wait for the next step.
		n, _ := slices.BinarySearchFunc(all, *bound, cmpKey)
		all = all[:n+1]
	}
	if len(all) > 0 {
		if err := writeRunKeys(ctx, tx, tenant, m.run, all); err != nil {
			return err
		}
		m.progress = all[len(all)-1].bytes()
	}
	if bound != nil {
		_, err := tx.Exec(ctx, `UPDATE audit_runs SET progress = ? WHERE tenant_id = ? AND run = ?`, m.progress, tenant, m.run)
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_runs SET state = ?, inputs = '', progress = ? WHERE tenant_id = ? AND run = ?`, runLive, []byte{}, tenant, m.run); err != nil {
		return fmt.Errorf("finish audit index merge: %w", err)
	}
	for _, in := range m.inputs {
		if _, err := tx.Exec(ctx, `UPDATE audit_runs SET state = ? WHERE tenant_id = ? AND run = ?`, runDead, tenant, in); err != nil {
			return fmt.Errorf("finish audit index merge: %w", err)
		}
	}
	return nil
}

// readRunFrom reads up to n keys of a run greater than after, and whether
// the run has more.
func readRunFrom(ctx context.Context, tx indexTx, tenant string, run int64, after ikey, started bool, n int) (keys []ikey, more bool, err error) {
	start := []byte{}
	if started {
		if start, err = chunkHolding(ctx, tx, tenant, run, after.bytes()); err != nil {
			return nil, false, err
		}
	}
	// Chunks a merge step wrote last may hold fewer keys than a full one,
	// so reading as many chunks as n keys fill may end early: that counts
	// as more, and the next step reads on.
	limit := n/indexChunkKeys + 2
	rows, err := tx.Query(ctx, `SELECT data FROM audit_index_chunks WHERE tenant_id = ? AND run = ? AND first_key >= ? ORDER BY first_key LIMIT ?`,
		tenant, run, start, limit)
	if err != nil {
		return nil, false, fmt.Errorf("read audit index run: %w", err)
	}
	defer rows.Close()
	chunks := 0
	for rows.Next() {
		chunks++
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, false, fmt.Errorf("read audit index run: %w", err)
		}
		ks, err := splitKeys(data)
		if err != nil {
			return nil, false, err
		}
		for _, k := range ks {
			if started && cmpKey(k, after) <= 0 {
				continue
			}
			if len(keys) == n {
				return keys, true, nil
			}
			keys = append(keys, k)
		}
	}
	return keys, chunks == limit && len(keys) > 0, rows.Err()
}

// chunkHolding returns the first key of the chunk of run where keys
// greater than after begin: the last chunk starting at or before it, or
// the empty key when there is none.
func chunkHolding(ctx context.Context, tx indexTx, tenant string, run int64, after []byte) ([]byte, error) {
	var start []byte
	err := tx.QueryRow(ctx, `SELECT first_key FROM audit_index_chunks WHERE tenant_id = ? AND run = ? AND first_key <= ? ORDER BY first_key DESC LIMIT 1`,
		tenant, run, after).Scan(&start)
	if errors.Is(err, sql.ErrNoRows) {
		return []byte{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("seek audit index run: %w", err)
	}
	return start, nil
}

// subjectIndexes returns, in order, the first indexes greater than after
// of a tenant's entries whose subject hashes as subjectID's does: up to n
// from each live run, so a page costs the same however long the subject's
// history. capped says some run had more.
func subjectIndexes(ctx context.Context, tx indexTx, tenant, subjectID string, after int64, n int) (idxs []int64, capped bool, err error) {
	rows, err := tx.Query(ctx, `SELECT run FROM audit_runs WHERE tenant_id = ? AND state = ?`, tenant, runLive)
	if err != nil {
		return nil, false, fmt.Errorf("read audit index runs: %w", err)
	}
	var runs []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			rows.Close()
			return nil, false, err
		}
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	h := subjectHash(subjectID)
	lo, hi := ikey{h, uint64(after + 1)}, ikey{h, ^uint64(0)}
	for _, run := range runs {
		got, err := runIndexes(ctx, tx, tenant, run, lo, hi, n)
		if err != nil {
			return nil, false, err
		}
		capped = capped || len(got) == n
		idxs = append(idxs, got...)
	}
	slices.Sort(idxs)
	return idxs, capped, nil
}

// runIndexes returns the indexes of up to n keys of a run from lo to hi,
// keys of one subject hash.
func runIndexes(ctx context.Context, tx indexTx, tenant string, run int64, lo, hi ikey, n int) ([]int64, error) {
	start, err := chunkHolding(ctx, tx, tenant, run, lo.bytes())
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT data FROM audit_index_chunks WHERE tenant_id = ? AND run = ? AND first_key >= ? AND first_key <= ? ORDER BY first_key`, tenant, run, start, hi.bytes())
	if err != nil {
		return nil, fmt.Errorf("read audit index: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() && len(out) < n {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return nil, err
		}
		keys, err := splitKeys(data)
		if err != nil {
			return nil, err
		}
		i, _ := slices.BinarySearchFunc(keys, lo, cmpKey)
		for ; i < len(keys) && cmpKey(keys[i], hi) <= 0 && len(out) < n; i++ {
			out = append(out, int64(keys[i].idx))
		}
	}
	return out, rows.Err()
}

// The backfill's state is kept in steward_meta. indexBackfilled is absent
// before it starts, "running" while it runs and "done" after. While it runs,
// a row per tenant (indexBackfillPrefix + tenant id) holds "next,end": the
// entries [next, end) still to index. Entries appended since it started
// index themselves.
const (
	indexBackfilled     = "audit_index:backfilled"
	indexBackfillPrefix = "audit_index:backfill:"
)

// indexBackfillRun is how many entries one backfilled run covers, and one
// transaction of the backfill indexes; a variable only for tests.
var indexBackfillRun = 65536

// backfillAuditIndex indexes, once, the entries written before the index
// existed (schema version 6), as runs of level 0 that later merges combine
// like any others. Each transaction does a bounded part, so a large log
// never makes one huge transaction, and a backfill that was interrupted
// goes on where it stopped. Every process of this version runs it to the
// end before it appends anything, so the entries it covers (those the log
// held when it started) are exactly those without an index.
func backfillAuditIndex(ctx context.Context, db *sql.DB, d *Dialect) error {
	for {
		done, err := backfillStep(ctx, db, d)
		if err != nil || done {
			return err
		}
	}
}

func backfillStep(ctx context.Context, db *sql.DB, d *Dialect) (done bool, err error) {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer sqlTx.Rollback()
	tx := &Tx{tx: sqlTx, d: d}
	if d.MigrationLock != "" {
		if _, err := tx.Exec(ctx, d.MigrationLock); err != nil {
			return false, err
		}
	}
	var state []byte
	err = tx.QueryRow(ctx, `SELECT value FROM steward_meta WHERE name = ?`, indexBackfilled).Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = startBackfill(ctx, tx)
	case err != nil:
		return false, fmt.Errorf("read audit index state: %w", err)
	case string(state) != "running":
		return true, nil
	default:
		done, err = continueBackfill(ctx, tx)
	}
	if err != nil {
		return false, fmt.Errorf("backfill audit index: %w", err)
	}
	return done, sqlTx.Commit()
}

// startBackfill notes what each tenant's log holds now.
func startBackfill(ctx context.Context, tx indexTx) error {
	rows, err := tx.Query(ctx, `SELECT tenant_id, size FROM audit_heads WHERE size > 0`)
	if err != nil {
		return err
	}
	type head struct {
		tenant string
		size   int64
	}
	var heads []head
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.tenant, &h.size); err != nil {
			rows.Close()
			return err
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range heads {
		if _, err := tx.Exec(ctx, `INSERT INTO steward_meta (name, value) VALUES (?, ?)`, indexBackfillPrefix+h.tenant, fmt.Appendf(nil, "0,%d", h.size)); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO steward_meta (name, value) VALUES (?, ?)`, indexBackfilled, []byte("running"))
	return err
}

// continueBackfill indexes the next indexBackfillRun entries of a tenant
// with entries left, or marks the backfill done when none has.
func continueBackfill(ctx context.Context, tx indexTx) (done bool, err error) {
	var name string
	var value []byte
	err = tx.QueryRow(ctx, `SELECT name, value FROM steward_meta WHERE substr(name, 1, ?) = ? ORDER BY name LIMIT 1`, len(indexBackfillPrefix), indexBackfillPrefix).Scan(&name, &value)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = tx.Exec(ctx, `UPDATE steward_meta SET value = ? WHERE name = ?`, []byte("done"), indexBackfilled)
		return true, err
	}
	if err != nil {
		return false, err
	}
	tenant := strings.TrimPrefix(name, indexBackfillPrefix)
	var next, end int64
	if _, err := fmt.Sscanf(string(value), "%d,%d", &next, &end); err != nil {
		return false, fmt.Errorf("backfill state %q: %w", value, err)
	}
	stop := min(end, next+int64(indexBackfillRun))
	rows, err := tx.Query(ctx, `SELECT idx, subject_id FROM audit_log WHERE tenant_id = ? AND idx >= ? AND idx < ? ORDER BY idx`, tenant, next, stop)
	if err != nil {
		return false, err
	}
	var entries []*steward.AuditEntry
	for rows.Next() {
		e := &steward.AuditEntry{}
		if err := rows.Scan(&e.Index, &e.SubjectID); err != nil {
			rows.Close()
			return false, err
		}
		entries = append(entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if err := addRun(ctx, tx, tenant, entries); err != nil {
		return false, err
	}
	if stop >= end {
		_, err = tx.Exec(ctx, `DELETE FROM steward_meta WHERE name = ?`, name)
	} else {
		_, err = tx.Exec(ctx, `UPDATE steward_meta SET value = ? WHERE name = ?`, fmt.Appendf(nil, "%d,%d", stop, end), name)
	}
	return false, err
}

// indexDigest sums up a multiset of keys regardless of order: how many,
// and the sums of the two halves of the first 16 bytes of each one's
// SHA-256. Verification compares the digest of the keys a log's entries
// give with that of the keys its index holds.
type indexDigest struct{ n, lo, hi uint64 }

func (d *indexDigest) add(k ikey) {
	h := sha256.Sum256(k.bytes())
	d.n++
	d.hi += binary.BigEndian.Uint64(h[:8])
	d.lo += binary.BigEndian.Uint64(h[8:16])
}

// liveChunks calls fn with the keys of every chunk of a tenant's live runs.
func liveChunks(ctx context.Context, tx indexTx, tenant string, fn func(run int64, keys []ikey)) (damaged int64, err error) {
	rows, err := tx.Query(ctx, `SELECT c.run, c.data FROM audit_index_chunks c JOIN audit_runs r ON r.tenant_id = c.tenant_id AND r.run = c.run WHERE c.tenant_id = ? AND r.state = ?`, tenant, runLive)
	if err != nil {
		return -1, err
	}
	defer rows.Close()
	for rows.Next() {
		var run int64
		var data []byte
		if err := rows.Scan(&run, &data); err != nil {
			return -1, err
		}
		keys, err := splitKeys(data)
		if err != nil {
			return run, nil
		}
		fn(run, keys)
	}
	return -1, rows.Err()
}

// indexProblem checks that a tenant's index by subject holds exactly the
// keys of its entries, which verification digested (want); an index
// missing an entry would leave it out of its subject's listing. When the
// digests differ, it reads the index into memory to name the first entry
// missing from it or, when none is, the first it holds wrongly.
func indexProblem(ctx context.Context, tx indexTx, tenant string, want indexDigest) (bad int64, problem string, err error) {
	var got indexDigest
	damaged, err := liveChunks(ctx, tx, tenant, func(_ int64, keys []ikey) {
		for _, k := range keys {
			got.add(k)
		}
	})
	if err != nil {
		return -1, "", err
	}
	if damaged >= 0 {
		return 0, fmt.Sprintf("a chunk of run %d of the index by subject is damaged", damaged), nil
	}
	if got == want {
		return -1, "", nil
	}
	held := map[uint64]uint64{} // Entry index → subject hash.
	twice := int64(-1)
	if _, err := liveChunks(ctx, tx, tenant, func(_ int64, keys []ikey) {
		for _, k := range keys {
			if _, dup := held[k.idx]; dup && (twice < 0 || int64(k.idx) < twice) {
				twice = int64(k.idx)
			}
			held[k.idx] = k.hash
		}
	}); err != nil {
		return -1, "", err
	}
	rows, err := tx.Query(ctx, `SELECT idx, entry FROM audit_log WHERE tenant_id = ? ORDER BY idx`, tenant)
	if err != nil {
		return -1, "", err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var data []byte
		if err := rows.Scan(&idx, &data); err != nil {
			return -1, "", err
		}
		e, err := auditlog.DecodeEntry(data)
		if err != nil {
			return -1, "", err
		}
		if e.SubjectID == "" {
			continue
		}
		if h, ok := held[uint64(idx)]; !ok || h != subjectHash(e.SubjectID) {
			return idx, fmt.Sprintf("entry %d is not in the index by subject: listing subject %s would leave it out", idx, e.SubjectID), nil
		}
		delete(held, uint64(idx))
	}
	if err := rows.Err(); err != nil {
		return -1, "", err
	}
	if twice >= 0 {
		return twice, fmt.Sprintf("the index by subject holds entry %d twice", twice), nil
	}
	extra := int64(-1)
	for idx := range held {
		if extra < 0 || int64(idx) < extra {
			extra = int64(idx)
		}
	}
	if extra < 0 {
		return 0, "the index by subject does not match the log", nil
	}
	return extra, fmt.Sprintf("the index by subject lists entry %d, which is not of the subject it is listed under or not in the log", extra), nil
}
