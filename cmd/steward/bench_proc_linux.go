//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childProcAttr has the kernel send the server SIGTERM when bench dies,
// so a bench that is killed leaves no server running behind it.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

// peakRSS returns a process's peak resident set size in bytes (VmHWM in
// /proc/PID/status), which Linux keeps for the process's lifetime.
func peakRSS(pid int) (int64, error) {
	kb, err := procValue(pid, "status", "VmHWM:")
	return kb << 10, err
}

// procValue returns the number on the line of /proc/PID/<file> that starts
// with key, like "VmHWM:   1234 kB" or "read_bytes: 1234" (a unit after
// the number is left out).
func procValue(pid int, file, key string) (int64, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), file))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		rest, ok := strings.CutPrefix(line, key)
		if !ok {
			continue
		}
		v := strings.TrimSuffix(strings.TrimSpace(rest), " kB")
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s %q in /proc/%d/%s: %w", key, v, pid, file, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("no %s in /proc/%d/%s", key, pid, file)
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times, which Linux
// fixes at 100 for user space on every architecture Go supports.
const clockTicks = 100

// processCPU returns the user plus system CPU time a process has used, all
// its threads together.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, err
	}
	// The command name in parentheses may hold spaces; the fields after
	// it are fixed: utime and stime are the 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// processDiskReads returns the bytes a process has had read from storage
// (read_bytes in /proc/PID/io). Reads the page cache answers are not
// counted, so this stays at zero while the database stays in memory.
func processDiskReads(pid int) (int64, error) { return procValue(pid, "io", "read_bytes:") }

// selfCPU returns the CPU time bench itself has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
