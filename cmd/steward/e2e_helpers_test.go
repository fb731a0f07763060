package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/pgtest"
)

// The end-to-end tests share these helpers. They talk to a real server
// through HTTP only; what they know of storage is what an operator could
// see on disk or in the database.

// shared is the steward binary the process-level tests run, built once for
// all the tests that use it at the same time and removed when the last of
// them ends.
var shared struct {
	sync.Mutex
	users     int
	dir, path string
}

// MustBinary builds the steward binary (or reuses the one built for tests
// still running) and returns its path.
func MustBinary(tb testing.TB) string {
	tb.Helper()
	shared.Lock()
	defer shared.Unlock()
	if shared.users == 0 {
		dir, err := os.MkdirTemp("", "steward-e2e-bin-")
		if err != nil {
			tb.Fatal(err)
		}
		path := filepath.Join(dir, "steward")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "go", "build", "-o", path, ".").CombinedOutput(); err != nil {
			os.RemoveAll(dir)
			tb.Fatalf("go build: %v\n%s", err, out)
		}
		shared.dir, shared.path = dir, path
	}
	shared.users++
	tb.Cleanup(func() {
		shared.Lock()
		defer shared.Unlock()
		if shared.users--; shared.users == 0 {
			os.RemoveAll(shared.dir)
		}
	})
	return shared.path
}

// childEnv is the environment of steward child processes: the test's own,
// without STEWARD_* variables that could change what a command does.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "STEWARD_") {
			env = append(env, kv)
		}
	}
	return env
}

// procServer is a steward serve running as a child process.
type procServer struct {
	URL  string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

// MustServeProcess starts "steward serve" from the built binary on a free
// port and kills it when the test ends, if the test has not stopped it.
func MustServeProcess(tb testing.TB, exe, dataDir string, extra ...string) *procServer {
	tb.Helper()
	// Extra flags come last, so they win over these defaults.
	args := append([]string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--log-level", "warn"}, extra...)
	cmd := exec.Command(exe, args...)
	cmd.Env = childEnv()
	ps := &procServer{cmd: cmd, logs: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = ps.logs
	lines := make(chan string, 1)
	cmd.Stdout = &firstLineWriter{line: lines}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { ps.done <- cmd.Wait() }()
	tb.Cleanup(func() { ps.Kill() })
	select {
	case line := <-lines:
		u, ok := strings.CutPrefix(strings.TrimSpace(line), "steward listening on ")
		if !ok {
			ps.Kill()
			tb.Fatalf("server printed %q, not its address; logs:\n%s", line, ps.logs.String())
		}
		ps.URL = u
	case err := <-ps.done:
		ps.done <- err
		tb.Fatalf("server exited before listening: %v; logs:\n%s", err, ps.logs.String())
	case <-time.After(20 * time.Second):
		ps.Kill()
		tb.Fatalf("server did not start in time; logs:\n%s", ps.logs.String())
	}
	waitHealthy(tb, ps.URL)
	return ps
}

// Kill ends the process with SIGKILL, as a crash or the OOM killer would,
// and waits for it.
func (ps *procServer) Kill() {
	ps.cmd.Process.Kill() // Fails harmlessly when the process has ended.
	ps.wait(10 * time.Second)
}

// Terminate sends SIGTERM and returns the process's exit error (nil for
// status 0).
func (ps *procServer) Terminate(tb testing.TB) error {
	tb.Helper()
	if err := ps.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		tb.Fatalf("SIGTERM: %v", err)
	}
	err, ok := ps.wait(40 * time.Second)
	if !ok {
		ps.cmd.Process.Kill()
		tb.Fatalf("server did not exit within 40s of SIGTERM; logs:\n%s", ps.logs.String())
	}
	return err
}

func (ps *procServer) wait(d time.Duration) (error, bool) {
	select {
	case err := <-ps.done:
		ps.done <- err // Later callers see it too.
		return err, true
	case <-time.After(d):
		return nil, false
	}
}

// firstLineWriter sends the first line written to it and discards the rest.
type firstLineWriter struct {
	buf  []byte
	line chan<- string
	sent bool
}

func (w *firstLineWriter) Write(p []byte) (int, error) {
	if !w.sent {
		w.buf = append(w.buf, p...)
		if i := bytes.IndexByte(w.buf, '\n'); i >= 0 {
			w.line <- string(w.buf[:i+1])
			w.sent = true
			w.buf = nil
		}
	}
	return len(p), nil
}

// runBinary runs the built binary with a deadline and returns its output
// and exit error.
func runBinary(tb testing.TB, exe string, args ...string) (stdout, stderr string, err error) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Env = childEnv()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		tb.Fatalf("steward %s did not finish within 60s\nstderr: %s", strings.Join(args, " "), e.String())
	}
	return o.String(), e.String(), err
}

// MustTenantArgs creates a tenant with the CLI, with store flags of the
// caller's choice (such as --database), and returns its id, API key and
// key id.
func MustTenantArgs(tb testing.TB, name string, storeArgs ...string) (id, token, keyID string) {
	tb.Helper()
	var v struct {
		ID       string `json:"id"`
		APIKey   string `json:"api_key"`
		APIKeyID string `json:"api_key_id"`
	}
	args := append([]string{"tenant", "create", "--name", name, "--json"}, storeArgs...)
	out := MustCLI(tb, nil, args...)
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" || v.APIKey == "" || v.APIKeyID == "" {
		tb.Fatalf("tenant create printed %q: %v", out, err)
	}
	return v.ID, v.APIKey, v.APIKeyID
}

// errorEnvelope is the body of every error answer.
type errorEnvelope struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

// MustError checks that r is an error answer with the given status and
// code in the JSON envelope, with a message and a request id, and returns
// the envelope.
func MustError(tb testing.TB, r *apiResponse, status int, code string) errorEnvelope {
	tb.Helper()
	var env errorEnvelope
	if err := json.Unmarshal(r.Body, &env); err != nil {
		tb.Fatalf("status %d: body is not the JSON error envelope: %v: %q", r.Status, err, r.Body)
	}
	if r.Status != status || env.Error.Code != code {
		tb.Fatalf("got %d %s, want %d %s: %s", r.Status, env.Error.Code, status, code, r.Body)
	}
	if env.Error.Code == "" || env.Error.Message == "" {
		tb.Fatalf("error envelope lacks code or message: %s", r.Body)
	}
	if r.Header.Get("X-Request-Id") == "" {
		tb.Fatalf("error answer without X-Request-Id: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("error answer has Content-Type %q", ct)
	}
	return env
}

// MustStatus fails unless r has the given status.
func MustStatus(tb testing.TB, r *apiResponse, status int, what string) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("%s: got %d, want %d: %s", what, r.Status, status, r.Body)
	}
}

// MustCreateSubject creates a subject from body and returns it decoded.
func MustCreateSubject(tb testing.TB, base, token string, body any) *steward.Subject {
	tb.Helper()
	r := Do(tb, "POST", base+"/v1/subjects", token, body)
	MustStatus(tb, r, 201, "create subject")
	var s steward.Subject
	r.JSON(tb, &s)
	if !steward.ValidID("sub", s.ID) {
		tb.Fatalf("create answered id %q", s.ID)
	}
	return &s
}

// subjectList is the body of GET /v1/subjects.
type subjectList struct {
	Data []*steward.Subject `json:"data"`
	Next string             `json:"next"`
}

// MustListAll pages through the tenant's subjects with the given page
// size and fails on a repeated id.
func MustListAll(tb testing.TB, base, token string, limit int) []*steward.Subject {
	tb.Helper()
	var all []*steward.Subject
	seen := map[string]bool{}
	after := ""
	for page := 0; ; page++ {
		if page > 10000 {
			tb.Fatal("listing never ends")
		}
		q := url.Values{"limit": {fmt.Sprint(limit)}}
		if after != "" {
			q.Set("after", after)
		}
		r := Do(tb, "GET", base+"/v1/subjects?"+q.Encode(), token, nil)
		MustStatus(tb, r, 200, "list subjects")
		var l subjectList
		r.JSON(tb, &l)
		if len(l.Data) > limit {
			tb.Fatalf("page of %d subjects for limit %d", len(l.Data), limit)
		}
		for _, s := range l.Data {
			if seen[s.ID] {
				tb.Fatalf("subject %s listed twice", s.ID)
			}
			seen[s.ID] = true
			all = append(all, s)
		}
		if l.Next == "" {
			return all
		}
		if len(l.Data) == 0 {
			tb.Fatalf("empty page with a next cursor %q", l.Next)
		}
		after = l.Next
	}
}

// canonical re-encodes a JSON value so two answers can be compared without
// regard to whitespace or member order.
func canonical(tb testing.TB, b []byte) string {
	tb.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("not JSON: %v: %q", err, b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}

// MustPGSchema returns the test URL of a fresh schema of its own.
func MustPGSchema(tb testing.TB) string {
	tb.Helper()
	return pgtest.SchemaURL(tb, "steward_e2e")
}

// backend is a store a server can run on, for tests that run on each.
type backend struct {
	name string
	// setup returns the flags that point serve and the operator commands
	// at a fresh store, given the data directory (which always holds the
	// master key).
	setup func(tb testing.TB, dataDir string) []string
}

var backends = []backend{
	{"SQLite", func(testing.TB, string) []string { return nil }},
	{"PostgreSQL", func(tb testing.TB, _ string) []string { return []string{"--database", MustPGSchema(tb)} }},
}

// tryDo is Do for goroutines other than the test's own, which must not
// call Fatal: a request that gets no answer comes back as an error.
func tryDo(method, url, token string, body any) (*apiResponse, error) {
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}, nil
}
