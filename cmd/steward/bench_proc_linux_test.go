//go:build linux

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// TestProcessDiskReads reads a file whose pages were dropped from the page
// cache: the process's disk reads must grow by at least the file's size,
// and reading it again, now cached, must not count.
func TestProcessDiskReads(t *testing.T) {
	dir := t.TempDir()
	var fs unix.Statfs_t
	if err := unix.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	if fs.Type == unix.TMPFS_MAGIC {
		t.Skip("the temporary directory is on tmpfs, whose pages live only in memory: no read of it reaches a disk")
	}
	path := filepath.Join(dir, "cold")
	data := bytes.Repeat([]byte("steward "), 128<<10) // 1 MiB
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Clean pages can be dropped; syncing first makes them clean.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	before, err := processDiskReads(pid)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	cold, err := processDiskReads(pid)
	if err != nil {
		t.Fatal(err)
	}
	if got := cold - before; got < int64(len(data)) {
		t.Errorf("reading a %d-byte file the page cache did not hold counted %d bytes of disk reads", len(data), got)
	}
	if _, err := os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	warm, err := processDiskReads(pid)
	if err != nil {
		t.Fatal(err)
	}
	// Other goroutines of the test binary may read a little meanwhile.
	if got := warm - cold; got >= int64(len(data)) {
		t.Errorf("reading the file again from the page cache counted %d bytes of disk reads", got)
	}
	if _, err := processDiskReads(-1); err == nil {
		t.Error("processDiskReads(-1) gave no error")
	}
}
