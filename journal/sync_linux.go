package journal

import (
	"os"
	"syscall"
)

// fdatasync flushes a file's data (and its size, if that changed) but not
// its timestamps.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
