package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBench runs a small self-contained bench end to end: it builds the
// steward binary, which bench then starts as its server.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	exe := buildSteward(t)
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "--exe", exe, "--subjects", "200", "--clients", "4", "--requests", "200", "--json"}
	getenv := func(string) string { return "" }
	if err := run(context.Background(), args, getenv, nil, &stdout, &stderr); err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr.String())
	}
	var rep benchReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("decode report: %v\n%s", err, stdout.String())
	}
	if len(rep.Phases) != 4 {
		t.Fatalf("got %d phases, want 4:\n%s", len(rep.Phases), stdout.String())
	}
	for i, want := range []string{"baseline", "create", "get", "find"} {
		p := rep.Phases[i]
		if p.Phase != want {
			t.Errorf("phase %d is %q, want %q", i, p.Phase, want)
		}
		if p.Requests != 200 {
			t.Errorf("%s: %d requests, want 200", p.Phase, p.Requests)
		}
		if p.Errors != 0 {
			t.Errorf("%s: %d errors: %q", p.Phase, p.Errors, p.ErrorSamples)
		}
		if p.P50ms <= 0 || p.P50ms > p.P99ms || p.P99ms > p.MaxMs {
			t.Errorf("%s: latencies out of order: p50 %v, p99 %v, max %v", p.Phase, p.P50ms, p.P99ms, p.MaxMs)
		}
		// The baseline's handler runs inside bench: it has no server CPU
		// of its own, and the server's phases must have theirs.
		if (p.ServerCPUus == nil) != (p.Phase == "baseline") {
			t.Errorf("%s: server_cpu_us_per_req = %v", p.Phase, p.ServerCPUus)
		}
		if (p.ServerDiskKiB == nil) != (p.Phase == "baseline") || (p.ServerDiskKiB != nil && *p.ServerDiskKiB < 0) {
			t.Errorf("%s: server_disk_read_kib_per_req = %v", p.Phase, p.ServerDiskKiB)
		}
	}
	if rep.Preloaded != 200 || rep.Created != 200 {
		t.Errorf("preloaded %d and created %d, want 200 each", rep.Preloaded, rep.Created)
	}
	if rep.RSSMiB == nil || *rep.RSSMiB <= 0 {
		t.Errorf("rss_mib = %v, want > 0", rep.RSSMiB)
	}
}

// TestBenchReuse preloads into a data directory and then runs again on it:
// the second run must find the subjects, preload nothing and list ids for
// the get phase through the API.
func TestBenchReuse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a server")
	}
	exe := buildSteward(t)
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	// Each phase runs at each client count, in the order given.
	runs := []struct{ phases, clients, want string }{
		{"find", "2", "find/2"},
		{"get,find", "2,3", "get/2 get/3 find/2 find/3"},
		{"baseline,find", "3", "baseline/3 find/3"},
	}
	for i, r := range runs {
		var stdout, stderr bytes.Buffer
		args := []string{"bench", "--exe", exe, "--data", dir, "--subjects", "150", "--clients", r.clients, "--requests", "50", "--phases", r.phases, "--json"}
		if err := run(context.Background(), args, getenv, nil, &stdout, &stderr); err != nil {
			t.Fatalf("run %d: %v\nstderr:\n%s", i, err, stderr.String())
		}
		var rep benchReport
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("run %d: decode report: %v\n%s", i, err, stdout.String())
		}
		if rep.Preloaded != 150 {
			t.Errorf("run %d: preloaded %d, want 150", i, rep.Preloaded)
		}
		for _, p := range rep.Phases {
			if p.Requests != 50 || p.Errors != 0 {
				t.Errorf("run %d: %s: %d requests, %d errors %q", i, p.Phase, p.Requests, p.Errors, p.ErrorSamples)
			}
		}
		var got []string
		for _, p := range rep.Phases {
			got = append(got, fmt.Sprintf("%s/%d", p.Phase, p.Clients))
		}
		if strings.Join(got, " ") != r.want {
			t.Errorf("run %d: phases %q, want %q", i, strings.Join(got, " "), r.want)
		}
	}
	if n := readBenchCount(dir); n != 150 {
		t.Errorf("bench-count holds %d, want 150", n)
	}
}

// buildSteward builds the steward binary for bench to start as its server.
func buildSteward(t *testing.T) string {
	t.Helper()
	exe := filepath.Join(t.TempDir(), "steward")
	if out, err := exec.Command("go", "build", "-o", exe, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return exe
}

// TestBenchFlags checks that bench refuses bad flags before it starts or
// loads anything, naming the flag at fault.
func TestBenchFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--clients", "0"}, "--clients"},
		{[]string{"--clients", "16,"}, "--clients"},
		{[]string{"--clients", "16,x"}, "--clients"},
		{[]string{"--clients", "2000"}, "--clients"},
		{[]string{"--clients", "-4"}, "--clients"},
		{[]string{"--phases", "find,delete"}, "--phases"},
		{[]string{"--subjects", "-1"}, "--subjects"},
		{[]string{"--phases", "baseline,find", "--subjects", "0"}, "--subjects"},
		{[]string{"--duration", "0s"}, "--duration"},
		{[]string{"--url", "http://example.com:8080"}, "local"},
		{[]string{"--pid", "12"}, "--pid"},
	}
	getenv := func(string) string { return "" }
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"bench"}, tc.args...), getenv, nil, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("bench %v: error %v, want one naming %s", tc.args, err, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("bench %v printed %q", tc.args, stdout.String())
			}
		})
	}
}
