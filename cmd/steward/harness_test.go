package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServer is a real steward serve started through run on a free port.
type testServer struct {
	URL    string
	Data   string
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envFunc builds a getenv over a fixed map, so tests never read the real
// environment.
func envFunc(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// MustServe starts a server on dataDir (a fresh temp dir when empty) and
// stops it when the test ends.
func MustServe(tb testing.TB, dataDir string, extra ...string) *testServer {
	tb.Helper()
	if dataDir == "" {
		dataDir = tb.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	ts := &testServer{Data: dataDir, cancel: cancel, done: make(chan error, 1), logs: &syncBuffer{}}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir}, extra...)
	go func() {
		err := run(ctx, args, envFunc(), strings.NewReader(""), pw, ts.logs)
		pw.Close()
		ts.done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		tb.Fatalf("server did not start: %v; logs:\n%s", err, ts.logs.String())
	}
	go io.Copy(io.Discard, pr)
	ts.URL = strings.TrimSpace(strings.TrimPrefix(line, "steward listening on "))
	waitHealthy(tb, ts.URL)
	tb.Cleanup(func() { ts.Stop(tb) })
	return ts
}

// Stop shuts the server down gracefully and reports its error.
func (ts *testServer) Stop(tb testing.TB) {
	tb.Helper()
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	ts.cancel = nil
	select {
	case err := <-ts.done:
		if err != nil {
			tb.Errorf("server stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		tb.Errorf("server did not stop")
	}
}

func waitHealthy(tb testing.TB, url string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("%s/healthz never answered 200", url)
}

// MustCLI runs a steward command and returns its standard output.
func MustCLI(tb testing.TB, getenv func(string) string, args ...string) string {
	tb.Helper()
	out, errOut, err := runCLI(getenv, args...)
	if err != nil {
		tb.Fatalf("steward %s: %v\nstderr: %s", strings.Join(args, " "), err, errOut)
	}
	return out
}

func runCLI(getenv func(string) string, args ...string) (string, string, error) {
	if getenv == nil {
		getenv = envFunc()
	}
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

// MustTenant creates a tenant with the CLI on the server's data dir (while
// it runs) and returns its id and API key.
func MustTenant(tb testing.TB, dataDir, name string) (id, token string) {
	tb.Helper()
	var v struct {
		ID     string `json:"id"`
		APIKey string `json:"api_key"`
	}
	out := MustCLI(tb, nil, "tenant", "create", "--name", name, "--json", "--data", dataDir)
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.ID == "" || v.APIKey == "" {
		tb.Fatalf("tenant create printed %q: %v", out, err)
	}
	return v.ID, v.APIKey
}

// apiResponse is a decoded answer.
type apiResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *apiResponse) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// ErrorCode returns the error envelope's code, or "".
func (r *apiResponse) ErrorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

// Do sends one request with an optional bearer token and JSON body.
func Do(tb testing.TB, method, url, token string, body any, headers ...string) *apiResponse {
	tb.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return &apiResponse{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
