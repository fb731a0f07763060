package sqlite

import (
	"errors"
	"os"
	"path/filepath"
)

// KeyEpochFile is the file in the data directory through which processes
// sharing the store announce API key revocations to each other.
const KeyEpochFile = "key-revocations"

// fileEpoch is a sqlstore.KeyEpoch kept as a file's size and modification
// time: a revocation appends a byte, and a serving process checks the file
// with one stat per authentication instead of reading the key.
type fileEpoch struct{ path string }

func newFileEpoch(dir string) fileEpoch { return fileEpoch{filepath.Join(dir, KeyEpochFile)} }

func (e fileEpoch) Bump() error {
	f, err := os.OpenFile(e.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte{'\n'}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (e fileEpoch) Current() ([2]int64, error) {
	fi, err := os.Stat(e.path)
	if errors.Is(err, os.ErrNotExist) {
		return [2]int64{}, nil // No revocation yet.
	}
	if err != nil {
		return [2]int64{}, err
	}
	return [2]int64{fi.Size(), fi.ModTime().UnixNano()}, nil
}
