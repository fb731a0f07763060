package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/auditlog"
	"github.com/stewardhq/steward/journal"
	"github.com/stewardhq/steward/keyring"
	"github.com/stewardhq/steward/sqlite"
	"github.com/stewardhq/steward/sqlstore"
	"github.com/stewardhq/steward/storetest"
)

// journaledStore opens a store in dir that journals read audits.
func journaledStore(tb testing.TB, dir string, master *keyring.Master, opts ...sqlstore.Option) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), dir, master, nil, append([]sqlstore.Option{sqlstore.WithAuditJournal(dir)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return db
}

// journalFixture is a journaling store with a tenant and one subject.
type journalFixture struct {
	dir    string
	master *keyring.Master
	db     *sqlite.DB
	a      steward.Actor
	sub    *steward.Subject
}

func newJournalFixture(tb testing.TB, opts ...sqlstore.Option) *journalFixture {
	tb.Helper()
	f := &journalFixture{dir: tb.TempDir(), master: mustMaster(tb)}
	f.db = journaledStore(tb, f.dir, f.master, opts...)
	f.a, _ = storetest.MustTenant(tb, f.db.Store, "Acme")
	f.sub = storetest.MustSubject(tb, f.db.Store, f.a, "ada@example.com", "Ada")
	return f
}

func journalFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.journal"))
	if err != nil {
		tb.Fatal(err)
	}
	return files
}

func metaRows(tb testing.TB, dir string) int {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName)+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM steward_meta WHERE name LIKE 'journal:%'`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func countReads(tb testing.TB, s *sqlstore.Store, tenant, subject string) int {
	tb.Helper()
	n := 0
	after := ""
	for {
		page, next, err := s.AuditEntries(context.Background(), tenant, steward.AuditFilter{SubjectID: subject, Page: steward.Page{After: after, Limit: steward.MaxPageLimit}})
		if err != nil {
			tb.Fatal(err)
		}
		for _, e := range page {
			if e.Action == steward.ActionRead {
				n++
			}
		}
		if next == "" {
			return n
		}
		after = next
	}
}

func mustMaster(tb testing.TB) *keyring.Master {
	tb.Helper()
	m, _, err := keyring.GenerateMaster()
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// TestJournalFoldsOrphanExactlyOnce plays a crash: a journal left by a dead
// process, part of it already folded (its mark says so). Opening folds the
// rest, once, removes the file and forgets the mark; opening again adds
// nothing.
func TestJournalFoldsOrphanExactlyOnce(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t)
	dir, master, db, a, sub := f.dir, f.master, f.db, f.a, f.sub
	before := countReads(t, db.Store, a.TenantID, sub.ID)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Fatalf("a clean close left journals: %v", files)
	}

	// The dead process's journal: five reads, the first two folded.
	j, err := journal.Create(dir, "audit")
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var recs [][]byte
	for i := range 5 {
		recs = append(recs, auditlog.EncodeEntry(&steward.AuditEntry{
			Time: when.Add(time.Duration(i) * time.Second), TenantID: a.TenantID, Actor: a.KeyID,
			Action: steward.ActionRead, SubjectID: sub.ID, Fields: []string{"email"}, RequestID: fmt.Sprintf("req_orphan_%d", i),
		}))
	}
	if _, err := j.Append(recs, nil); err != nil {
		t.Fatal(err)
	}
	name := j.Name()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO steward_meta (name, value) VALUES (?, ?)`, "journal:"+name, []byte("2")); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	for round := range 2 {
		db = journaledStore(t, dir, master)
		entries, _, err := db.AuditEntries(ctx, a.TenantID, steward.AuditFilter{SubjectID: sub.ID, Page: steward.Page{Limit: steward.MaxPageLimit}})
		if err != nil {
			t.Fatal(err)
		}
		var orphaned []string
		for _, e := range entries {
			if strings.HasPrefix(e.RequestID, "req_orphan_") {
				orphaned = append(orphaned, e.RequestID)
				if want := when.Add(time.Duration(e.RequestID[len(e.RequestID)-1]-'0') * time.Second); !e.Time.Equal(want) {
					t.Errorf("%s folded with time %v, want the read's own %v", e.RequestID, e.Time, want)
				}
			}
		}
		if strings.Join(orphaned, ",") != "req_orphan_2,req_orphan_3,req_orphan_4" {
			t.Fatalf("round %d: folded %v, want the three past the mark, once", round, orphaned)
		}
		if got := countReads(t, db.Store, a.TenantID, sub.ID); got != before+3 {
			t.Fatalf("round %d: %d reads in the log, want %d", round, got, before+3)
		}
		storetest.MustVerify(t, db.Store)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if files := journalFiles(t, dir); len(files) != 0 {
			t.Fatalf("round %d: journals left: %v", round, files)
		}
		if n := metaRows(t, dir); n != 0 {
			t.Fatalf("round %d: %d fold marks left", round, n)
		}
	}
}

// TestJournalReadsAreCountedUnderLoad reads and writes concurrently: every
// read that was answered is in the log once, in log order with the writes,
// and the log verifies.
func TestJournalReadsAreCountedUnderLoad(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := journaledStore(t, dir, mustMaster(t))
	defer db.Close()
	a, _ := storetest.MustTenant(t, db.Store, "Acme")
	var subs []*steward.Subject
	for i := range 8 {
		subs = append(subs, storetest.MustSubject(t, db.Store, a, fmt.Sprintf("p%d@example.com", i), "Person"))
	}
	var mu sync.Mutex
	answered := map[string]int{}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				s := subs[(g+i)%len(subs)]
				var err error
				if i%2 == 0 {
					_, err = db.Subject(ctx, a, s.ID)
				} else {
					_, err = db.FindSubject(ctx, a, steward.SubjectLookup{Email: s.Profile.Email.Value})
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				answered[s.ID]++
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for i := range 40 {
			storetest.MustSubject(t, db.Store, a, fmt.Sprintf("w%d@example.com", i), "Writer")
		}
	})
	wg.Wait()
	for _, s := range subs {
		if got := countReads(t, db.Store, a.TenantID, s.ID); got != answered[s.ID] {
			t.Errorf("%s: %d reads in the log, %d answered", s.ID, got, answered[s.ID])
		}
	}
	entries, _, err := db.AuditEntries(ctx, a.TenantID, steward.AuditFilter{Page: steward.Page{Limit: steward.MaxPageLimit}})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range entries {
		if e.Index != int64(i) {
			t.Fatalf("entry %d has index %d", i, e.Index)
		}
	}
	storetest.MustVerify(t, db.Store)
}

// TestJournalFailureRefusesReads breaks the journal's file under a running
// store (its descriptor now writes to /dev/full): reads must then be
// refused, not served unaudited, while writes, audited in the database,
// go on.
func TestJournalFailureRefusesReads(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t)
	dir, db, a, sub := f.dir, f.db, f.a, f.sub
	defer db.Close()
	if _, err := db.Subject(ctx, a, sub.ID); err != nil {
		t.Fatal(err)
	}
	before := countReads(t, db.Store, a.TenantID, sub.ID)

	files := journalFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("journals: %v", files)
	}
	fd := openDescriptorOf(t, files[0])
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	defer full.Close()
	if err := syscall.Dup2(int(full.Fd()), fd); err != nil {
		t.Fatal(err)
	}

	if got, err := db.Subject(ctx, a, sub.ID); err == nil || got != nil || steward.ErrorCode(err) != steward.EUnavailable {
		t.Fatalf("read with a broken journal: %v, %v; want refused as unavailable", got, err)
	}
	if _, err := db.FindSubject(ctx, a, steward.SubjectLookup{Email: "ada@example.com"}); err == nil {
		t.Fatal("a lookup with a broken journal was served")
	}
	// The journal stays refused: what reached the disk after a failed
	// write is unknown.
	if _, err := db.Subject(ctx, a, sub.ID); err == nil {
		t.Fatal("a read after the journal failed was served")
	}
	storetest.MustSubject(t, db.Store, a, "bob@example.com", "Bob")
	if got := countReads(t, db.Store, a.TenantID, sub.ID); got != before {
		t.Fatalf("refused reads reached the log: %d, want %d", got, before)
	}
	storetest.MustVerify(t, db.Store)
}

// openDescriptorOf finds this process's descriptor for path.
func openDescriptorOf(tb testing.TB, path string) int {
	tb.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		tb.Skipf("no /proc/self/fd: %v", err)
	}
	for _, e := range ents {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err != nil || target != path {
			continue
		}
		var fd int
		if _, err := fmt.Sscan(e.Name(), &fd); err == nil {
			return fd
		}
	}
	tb.Fatalf("no descriptor open on %s", path)
	return -1
}

// TestJournalOfLiveStoreIsNotTaken opens a second store on the same data
// while the first runs: the first's journal is its own, not an orphan.
func TestJournalOfLiveStoreIsNotTaken(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	master := mustMaster(t)
	first := journaledStore(t, dir, master)
	a, _ := storetest.MustTenant(t, first.Store, "Acme")
	sub := storetest.MustSubject(t, first.Store, a, "ada@example.com", "Ada")
	if _, err := first.Subject(ctx, a, sub.ID); err != nil {
		t.Fatal(err)
	}
	second := journaledStore(t, dir, master)
	if files := journalFiles(t, dir); len(files) != 2 {
		t.Fatalf("want both stores' journals, have %v", files)
	}
	if _, err := second.Subject(ctx, a, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Subject(ctx, a, sub.ID); err != nil {
		t.Fatalf("the first store's journal was taken from it: %v", err)
	}
	if err := errors.Join(second.Close(), first.Close()); err != nil {
		t.Fatal(err)
	}
	db := journaledStore(t, dir, master)
	defer db.Close()
	if got := countReads(t, db.Store, a.TenantID, sub.ID); got != 3 {
		t.Fatalf("%d reads in the log, want 3", got)
	}
	storetest.MustVerify(t, db.Store)
}

// TestPlainOpenFoldsOrphans: a process that does not journal reads itself
// (the CLI, e.g. "audit verify" after a crash) still folds the journals of
// dead processes, so it sees every access they answered.
func TestPlainOpenFoldsOrphans(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t)
	dir, master, db, a, sub := f.dir, f.master, f.db, f.a, f.sub
	db.Close()

	j, err := journal.Create(dir, "audit")
	if err != nil {
		t.Fatal(err)
	}
	e := &steward.AuditEntry{Time: time.Now().UTC().Truncate(time.Microsecond), TenantID: a.TenantID, Actor: a.KeyID, Action: steward.ActionRead, SubjectID: sub.ID, Fields: []string{"email"}}
	if _, err := j.Append([][]byte{auditlog.EncodeEntry(e), auditlog.EncodeEntry(e)}, nil); err != nil {
		t.Fatal(err)
	}
	j.Close()

	plain, err := sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if got := countReads(t, plain.Store, a.TenantID, sub.ID); got != 2 {
		t.Fatalf("%d orphaned reads folded, want 2", got)
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Fatalf("journals left: %v", files)
	}
	storetest.MustVerify(t, plain.Store)
}

// TestCloseDuringReads closes a journaling store while reads are being
// answered: every read that was answered is in the log afterwards, and the
// journal is gone.
func TestCloseDuringReads(t *testing.T) {
	ctx := context.Background()
	f := newJournalFixture(t)
	dir, master, db, a, sub := f.dir, f.master, f.db, f.a, f.sub
	before := countReads(t, db.Store, a.TenantID, sub.ID)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				if _, err := db.Subject(ctx, a, sub.ID); err != nil {
					return // Closed.
				}
				answered.Add(1)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if answered.Load() == 0 {
		t.Fatal("no read was answered before the close")
	}
	if files := journalFiles(t, dir); len(files) != 0 {
		t.Fatalf("journals left after close: %v", files)
	}
	plain, err := sqlite.Open(ctx, dir, master, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if got := countReads(t, plain.Store, a.TenantID, sub.ID); int64(got) != int64(before)+answered.Load() {
		t.Fatalf("%d reads in the log, %d answered", got-before, answered.Load())
	}
	if n := metaRows(t, dir); n != 0 {
		t.Fatalf("%d fold marks left", n)
	}
}

// TestJournalStaysBoundedUnderLoad reads without pause for more than the
// journal's restart size: the file must start over (reads held for the
// moment it takes) instead of growing, and every read must reach the log.
func TestJournalStaysBoundedUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("reads about 14 MB of audit entries")
	}
	ctx := context.Background()
	f := newJournalFixture(t, sqlstore.WithAuditJournalRestart(4<<20))
	defer f.db.Close()
	before := countReads(t, f.db.Store, f.a.TenantID, f.sub.ID)
	var answered atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 3000 {
				if _, err := f.db.Subject(ctx, f.a, f.sub.ID); err != nil {
					t.Error(err)
					return
				}
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	files := journalFiles(t, f.dir)
	if len(files) != 1 {
		t.Fatalf("journals: %v", files)
	}
	fi, err := os.Stat(files[0])
	if err != nil {
		t.Fatal(err)
	}
	// 48,000 entries of about 300 bytes would be 14 MB and more; the file
	// starts over past 4 MiB and is filled ahead 4 MiB at a time.
	if fi.Size() > 8<<20 {
		t.Fatalf("the journal grew to %d bytes", fi.Size())
	}
	if got := countReads(t, f.db.Store, f.a.TenantID, f.sub.ID); int64(got-before) != answered.Load() {
		t.Fatalf("%d reads in the log, %d answered", got-before, answered.Load())
	}
}
