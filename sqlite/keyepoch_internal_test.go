package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A process looks at the key epoch file at most once every epochRecheck,
// so a bump must hold back its caller until every look in use, in any
// process, was begun after it; and a change made without Bump (a byte
// appended by an older steward, say) is seen once the last look expires.
func TestEpochLooksExpire(t *testing.T) {
	dir := t.TempDir()
	server, cli := newFileEpoch(dir), newFileEpoch(dir)
	before, err := server.Current()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cli.Bump(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 2*epochRecheck {
		t.Errorf("Bump returned after %s, before other processes' looks expired", took)
	}
	after, err := server.Current()
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Fatalf("the epoch read %v after another process's bump returned, as before it", after)
	}

	f, err := os.OpenFile(filepath.Join(dir, KeyEpochFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	time.Sleep(epochRecheck + time.Millisecond)
	if got, err := server.Current(); err != nil || got == after {
		t.Fatalf("a change made without Bump unseen after the look expired: %v, %v", got, err)
	}
}
