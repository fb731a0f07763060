//go:build unix

package journal

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// Supported reports whether journals work on this system: they need
// advisory file locks, so that a live journal is never taken for an orphan.
const Supported = true

// lock takes an exclusive advisory lock on the whole file, held until the
// file is closed (or the process dies), without waiting.
func lock(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errLocked
	}
	if err != nil {
		return fmt.Errorf("lock journal: %w", err)
	}
	return nil
}
