//go:build !linux

package main

import (
	"errors"
	"syscall"
	"time"
)

// errNoProc says a process measurement needs Linux's /proc.
var errNoProc = errors.New("process measurements need Linux")

func childProcAttr() *syscall.SysProcAttr { return nil }

func peakRSS(pid int) (int64, error) { return 0, errNoProc }

func processCPU(pid int) (time.Duration, error) { return 0, errNoProc }

func processDiskReads(pid int) (int64, error) { return 0, errNoProc }

func selfCPU() time.Duration { return 0 }
