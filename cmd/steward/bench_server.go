package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files bench keeps in a reused data directory next to the store.
const (
	benchTokenFile = "bench-token" // The API key of the tenant bench created.
	benchCountFile = "bench-count" // How many bench-<i> subjects exist.
)

// How long the child server gets to come up and to shut down. Shutdown
// allows for the server's own 30 s grace period for in-flight requests.
const (
	benchStartTimeout = time.Minute
	benchStopTimeout  = 45 * time.Second
)

// listenPrefix starts the line serve prints once it accepts connections.
const listenPrefix = "steward listening on "

// benchServer is a steward serve child process.
type benchServer struct {
	cmd     *exec.Cmd
	url     string
	done    chan struct{} // Closed when the process has exited.
	waitErr error         // Set before done is closed.
}

// startBenchServer starts "exe serve" on a free loopback port and returns
// once the server has said where it listens.
func startBenchServer(ctx context.Context, e *env, exe, dir string) (*benchServer, error) {
	// The child writes into a pipe bench owns rather than one exec.Cmd
	// owns, so the output can be read while Wait runs in the background.
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--log-level", "warn")
	cmd.Stdout = pw
	cmd.Stderr = e.stderr
	cmd.SysProcAttr = childProcAttr()
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, fmt.Errorf("start server: %w", err)
	}
	s := &benchServer{cmd: cmd, done: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.done)
	}()

	// The reader keeps draining stdout after the address line so that the
	// server never blocks on a full pipe; it ends when the server exits.
	urlc := make(chan string, 1)
	go func() {
		defer pr.Close()
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if line, ok := strings.CutPrefix(sc.Text(), listenPrefix); ok {
				select {
				case urlc <- strings.TrimSpace(line):
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()

	timer := time.NewTimer(benchStartTimeout)
	defer timer.Stop()
	select {
	case s.url = <-urlc:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening: %v", s.waitErr)
	case <-timer.C:
		err = fmt.Errorf("server did not report its address within %s", benchStartTimeout)
	case <-ctx.Done():
		err = ctx.Err()
	}
	return nil, errors.Join(err, s.stop())
}

func (s *benchServer) pid() int { return s.cmd.Process.Pid }

// stop asks the server to shut down gracefully with SIGTERM, kills it if
// it has not exited within benchStopTimeout, and waits for it.
func (s *benchServer) stop() error {
	select {
	case <-s.done:
		return s.exitErr()
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop server: %w", err)
	}
	timer := time.NewTimer(benchStopTimeout)
	defer timer.Stop()
	select {
	case <-s.done:
		return s.exitErr()
	case <-timer.C:
	}
	s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("server did not stop within %s and was killed", benchStopTimeout)
}

func (s *benchServer) exitErr() error {
	if s.waitErr != nil {
		return fmt.Errorf("server: %w", s.waitErr)
	}
	return nil
}

// benchToken returns the API key of bench's tenant in dir, creating the
// tenant with "exe tenant create" on first use and remembering its key in
// dir/bench-token, readable only by its owner.
func benchToken(ctx context.Context, e *env, exe, dir string) (string, error) {
	path := filepath.Join(dir, benchTokenFile)
	if b, err := os.ReadFile(path); err == nil && len(bytes.TrimSpace(b)) > 0 {
		return string(bytes.TrimSpace(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, exe, "tenant", "create", "--json", "--data", dir, "--name", "bench", "--key-name", "bench")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		// The child's own output says why; a new data directory's master
		// key warning is expected and shown only along with a failure.
		e.stderr.Write(stderr.Bytes())
		return "", fmt.Errorf("create bench tenant: %w", err)
	}
	var t struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &t); err != nil || t.APIKey == "" {
		return "", fmt.Errorf("create bench tenant: unexpected answer %q", stdout.String())
	}
	if err := os.WriteFile(path, []byte(t.APIKey+"\n"), 0o600); err != nil {
		return "", err
	}
	return t.APIKey, nil
}

// readBenchCount returns the count an earlier run left in dir, 0 when
// there is none.
func readBenchCount(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, benchCountFile))
	if err != nil {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// writeBenchCount replaces the count in dir atomically, so an interrupted
// run leaves either the old count or the new one.
func writeBenchCount(dir string, n int) error {
	path := filepath.Join(dir, benchCountFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(n)+"\n"), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
