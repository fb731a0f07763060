package journal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const prefix = "audit"

func mustCreate(tb testing.TB, dir string) *Journal {
	tb.Helper()
	j, err := Create(dir, prefix)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

func readFile(tb testing.TB, path string) []Record {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadRecords(f)
	if err != nil {
		tb.Fatal(err)
	}
	return recs
}

func TestAppendConcurrentIsOrderedAndComplete(t *testing.T) {
	dir := t.TempDir()
	j := mustCreate(t, dir)
	const writers, each = 8, 300
	var mu sync.Mutex
	var firsts []uint64 // In the order assigned was called.
	want := map[uint64]string{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				recs := [][]byte{fmt.Appendf(nil, "w%d-%d-a", w, i), fmt.Appendf(nil, "w%d-%d-b", w, i)}
				var first uint64
				last, err := j.Append(recs, func(f uint64) {
					first = f
					mu.Lock()
					firsts = append(firsts, f)
					mu.Unlock()
				})
				if err != nil {
					t.Error(err)
					return
				}
				if last != first+1 {
					t.Errorf("last %d, first %d", last, first)
				}
				if d := j.Durable(); d < last {
					t.Errorf("Append returned before durable: durable %d < %d", d, last)
				}
				mu.Lock()
				want[first], want[last] = string(recs[0]), string(recs[1])
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := 1; i < len(firsts); i++ {
		if firsts[i] <= firsts[i-1] {
			t.Fatalf("assigned out of order: %d after %d", firsts[i], firsts[i-1])
		}
	}
	recs := readFile(t, filepath.Join(dir, j.Name()))
	if len(recs) != 2*writers*each {
		t.Fatalf("%d records, want %d", len(recs), 2*writers*each)
	}
	for i, r := range recs {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		if string(r.Data) != want[r.Seq] {
			t.Fatalf("record %d = %q, want %q", r.Seq, r.Data, want[r.Seq])
		}
	}
	if j.Size() == 0 {
		t.Error("size not tracked")
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestDamageStopsReading(t *testing.T) {
	// Records "first", "secnd", "third" are 21 bytes each, from offset 0.
	for _, tc := range []struct {
		name    string
		damage  func([]byte) []byte
		records int
	}{
		{"ZerosAhead", func(b []byte) []byte { return b }, 3},
		{"NoZerosAhead", func(b []byte) []byte { return b[:63] }, 3},
		{"TornTail", func(b []byte) []byte { return append(b[:63], 0, 0, 0, 9, 1, 2) }, 3},
		{"TruncatedPayload", func(b []byte) []byte { return b[:61] }, 2},
		{"FlippedPayloadByte", func(b []byte) []byte { b[headerLen+1] ^= 0x40; return b }, 0},
		{"FlippedSeq", func(b []byte) []byte { b[21+8+3] ^= 1; return b }, 1},
		{"FlippedLength", func(b []byte) []byte { b[21+3] = 4; return b }, 1},
		{"HugeLength", func(b []byte) []byte { b[0] = 0xff; return b }, 0},
		{"SeqGoesBack", func(b []byte) []byte { return append(b[:63], b[:21]...) }, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			j := mustCreate(t, dir)
			if _, err := j.Append([][]byte{[]byte("first"), []byte("secnd"), []byte("third")}, nil); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, j.Name())
			j.Close()
			b, _ := os.ReadFile(path)
			if len(b) < growBy {
				t.Fatalf("file not filled ahead: %d bytes", len(b))
			}
			if err := os.WriteFile(path, tc.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			recs := readFile(t, path)
			if len(recs) != tc.records {
				t.Fatalf("%d records, want %d", len(recs), tc.records)
			}
			for i, r := range recs {
				if r.Seq != uint64(i+1) {
					t.Errorf("record %d has seq %d", i, r.Seq)
				}
			}
		})
	}
}

func TestGrowsPastFilledSize(t *testing.T) {
	dir := t.TempDir()
	j := mustCreate(t, dir)
	big := bytes.Repeat([]byte("x"), 700<<10)
	for range 8 { // 5.6 MiB: past the first 4 MiB filled.
		if _, err := j.Append([][]byte{big}, nil); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	recs := readFile(t, filepath.Join(dir, j.Name()))
	if len(recs) != 8 || !bytes.Equal(recs[7].Data, big) {
		t.Fatalf("read back %d records", len(recs))
	}
}

func TestOrphansSkipsLiveJournals(t *testing.T) {
	dir := t.TempDir()
	live := mustCreate(t, dir)
	defer live.Close()
	if _, err := live.Append([][]byte{[]byte("live")}, nil); err != nil {
		t.Fatal(err)
	}
	dead := mustCreate(t, dir)
	if _, err := dead.Append([][]byte{[]byte("a"), []byte("b")}, nil); err != nil {
		t.Fatal(err)
	}
	dead.Close()
	// A journal whose creator died before naming it holds nothing; it is
	// removed, unless its creator is alive and still naming it.
	unborn := filepath.Join(dir, prefix+"-unborn"+suffix+".new")
	if err := os.WriteFile(unborn, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	naming, err := os.Create(filepath.Join(dir, prefix+"-naming"+suffix+".new"))
	if err != nil {
		t.Fatal(err)
	}
	defer naming.Close()
	if err := lock(naming); err != nil {
		t.Fatal(err)
	}
	// A file of another prefix is not ours.
	if err := os.WriteFile(filepath.Join(dir, "other-x"+suffix), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	orphans, err := Orphans(dir, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(orphans) != 1 || orphans[0].Name != dead.Name() {
		t.Fatalf("orphans = %v, want only %s", orphans, dead.Name())
	}
	if _, err := os.Stat(unborn); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an unborn journal was left: %v", err)
	}
	if _, err := os.Stat(naming.Name()); err != nil {
		t.Errorf("a journal being created was removed: %v", err)
	}
	o := orphans[0]
	if len(o.Records) != 2 || string(o.Records[1].Data) != "b" || o.Records[1].Seq != 2 {
		t.Fatalf("orphan records = %+v", o.Records)
	}
	// While held, the orphan is nobody else's.
	again, err := Orphans(dir, prefix)
	if err != nil || len(again) != 0 {
		t.Fatalf("a held orphan was handed out twice: %v %v", again, err)
	}
	if err := o.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, dead.Name())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed orphan still there: %v", err)
	}
}

func TestResetOnlyWhenEverythingCopied(t *testing.T) {
	dir := t.TempDir()
	j := mustCreate(t, dir)
	defer j.Close()
	path := filepath.Join(dir, j.Name())
	if _, err := j.Append([][]byte{[]byte("one"), []byte("two"), []byte("three")}, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := j.Reset(2); ok || err != nil {
		t.Fatalf("Reset(2) with 3 written = %v, %v; want false", ok, err)
	}
	if recs := readFile(t, path); len(recs) != 3 {
		t.Fatalf("a refused reset lost records: %d left", len(recs))
	}
	if ok, err := j.Reset(3); !ok || err != nil || j.Size() != 0 {
		t.Fatalf("Reset(3) = %v, %v, size %d; want true, 0", ok, err, j.Size())
	}
	// Until something new is written the old records are still there, all
	// at or below the copied mark.
	if recs := readFile(t, path); len(recs) != 3 || recs[2].Seq != 3 {
		t.Fatalf("after reset, before writing: %+v", recs)
	}
	last, err := j.Append([][]byte{[]byte("four")}, nil)
	if err != nil || last != 4 {
		t.Fatalf("append after reset = %d, %v; want seq 4", last, err)
	}
	// "four" (20 bytes) overwrote "one" (19) and the first byte of "two",
	// whose leftovers fail their checksum.
	recs := readFile(t, path)
	if len(recs) != 1 || recs[0].Seq != 4 || string(recs[0].Data) != "four" {
		t.Fatalf("after reset the file reads %+v", recs)
	}
}

func TestAppendErrors(t *testing.T) {
	j := mustCreate(t, t.TempDir())
	if _, err := j.Append([][]byte{make([]byte, MaxRecord+1)}, nil); err == nil {
		t.Error("an oversized record was accepted")
	}
	if last, err := j.Append(nil, nil); last != 0 || err != nil {
		t.Errorf("empty append = %d, %v", last, err)
	}
	j.Close()
	if _, err := j.Append([][]byte{[]byte("late")}, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("append after close: %v, want ErrClosed", err)
	}
}

func TestCreateRefusesMissingDir(t *testing.T) {
	if _, err := Create(filepath.Join(t.TempDir(), "nope"), prefix); err == nil {
		t.Error("created a journal in a missing directory")
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add(appendRecord(appendRecord(nil, 1, []byte("a")), 2, []byte("bc")))
	f.Add([]byte{0, 0, 0, 1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := ReadRecords(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		// Whatever was read re-encodes to a prefix of the input.
		var again []byte
		for _, r := range recs {
			again = appendRecord(again, r.Seq, r.Data)
		}
		if !bytes.HasPrefix(data, again) {
			t.Fatal("records read do not re-encode to the input's prefix")
		}
	})
}

// TestRemovedJournalIsNotAnOrphan covers the race of two processes folding
// orphans: one locks a journal the other opened, folds it and removes it
// before the other gets the lock. The other must then see the file is gone
// (or replaced), not fold it again.
func TestRemovedJournalIsNotAnOrphan(t *testing.T) {
	dir := t.TempDir()
	j := mustCreate(t, dir)
	path := filepath.Join(dir, j.Name())
	j.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if !stillAt(f, path) {
		t.Fatal("an untouched journal reads as moved")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if stillAt(f, path) {
		t.Fatal("a removed journal reads as still there")
	}
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if stillAt(f, path) {
		t.Fatal("a new file under the old name reads as the same journal")
	}
}

// TestHoldLetsResetHappenUnderLoad keeps appenders busy while the owner
// holds the journal, sees everything durable, resets and releases: no
// append is lost or numbered twice, and writing resumes at the start.
func TestHoldLetsResetHappenUnderLoad(t *testing.T) {
	dir := t.TempDir()
	j := mustCreate(t, dir)
	defer j.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := map[uint64]bool{}
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				last, err := j.Append([][]byte{fmt.Appendf(nil, "w%d-%d", w, i)}, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if acked[last] {
					t.Errorf("seq %d handed out twice", last)
				}
				acked[last] = true
				mu.Unlock()
			}
		})
	}
	resets := 0
	for range 5 {
		time.Sleep(5 * time.Millisecond)
		j.Hold()
		copied := j.Durable()
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if uint64(n) > copied {
			t.Fatalf("%d appends acknowledged, only %d durable, during a hold", n, copied)
		}
		if ok, err := j.Reset(copied); err != nil || !ok {
			t.Fatalf("reset during a hold: %v, %v", ok, err)
		}
		resets++
		if j.Size() != 0 {
			t.Fatalf("size %d after reset", j.Size())
		}
		j.Release()
	}
	close(stop)
	wg.Wait()
	// The file now starts with what was written after the last reset,
	// numbered on from where the numbering was.
	recs := readFile(t, filepath.Join(dir, j.Name()))
	if len(recs) == 0 {
		t.Fatal("nothing written after the last reset")
	}
	if first := recs[0].Seq; first <= 1 {
		t.Fatalf("numbering restarted: first record after %d resets has seq %d", resets, first)
	}
	for _, r := range recs {
		if !acked[r.Seq] {
			t.Fatalf("record %d was never acknowledged", r.Seq)
		}
	}
}
