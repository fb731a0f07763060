//go:build !unix

package journal

import (
	"errors"
	"os"
)

// Supported reports whether journals work on this system: they need
// advisory file locks, so that a live journal is never taken for an orphan.
const Supported = false

func lock(*os.File) error {
	return errors.New("journals need advisory file locks, which this system lacks")
}
