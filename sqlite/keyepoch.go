package sqlite

import (
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// KeyEpochFile is the file in the data directory through which processes
// sharing the store announce API key revocations to each other.
const KeyEpochFile = "key-revocations"

// epochRecheck is how long a process goes on using its last look at the
// key epoch file. Bump waits twice this long before it returns, so that
// every look any process takes from then on was taken after the bump.
const epochRecheck = time.Millisecond

// fileEpoch is a sqlstore.KeyEpoch kept as a file's size and modification
// time: a revocation appends a byte, and a serving process looks at the
// file with a stat at most once every epochRecheck instead of reading the
// key on every authentication. (A stat on every request was 2% of a find's
// server CPU at a million subjects on a machine whose system calls are
// dear.)
type fileEpoch struct {
	path string
	last atomic.Pointer[epochLook]
}

// epochLook is one stat of the file: what it said, and when it was begun.
type epochLook struct {
	epoch [2]int64
	at    time.Time
}

func newFileEpoch(dir string) *fileEpoch { return &fileEpoch{path: filepath.Join(dir, KeyEpochFile)} }

// Bump announces a revocation and returns once every process sharing the
// directory, this one at once, sees it on its next look.
func (e *fileEpoch) Bump() error {
	f, err := os.OpenFile(e.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	e.last.Store(nil)
	// A look another process took before the bump serves it for at most
	// epochRecheck; one begun before the bump but stored after it expires
	// as soon. Past twice that, every look in use was begun after it.
	time.Sleep(2 * epochRecheck)
	return nil
}

func (e *fileEpoch) Current() ([2]int64, error) {
	now := time.Now()
	if l := e.last.Load(); l != nil && now.Sub(l.at) < epochRecheck {
		return l.epoch, nil
	}
	epoch, err := statEpoch(e.path)
	if err != nil {
		return epoch, err
	}
	// The look is dated from before the stat, so that it never counts as
	// newer than what it saw.
	e.last.Store(&epochLook{epoch: epoch, at: now})
	return epoch, nil
}

func statEpoch(path string) ([2]int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return [2]int64{}, nil // No revocation yet.
	}
	if err != nil {
		return [2]int64{}, err
	}
	return [2]int64{fi.Size(), fi.ModTime().UnixNano()}, nil
}
