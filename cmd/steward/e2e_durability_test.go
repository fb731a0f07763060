package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// loadLog records what a load run was promised: every subject and message
// whose 201 reached the client.
type loadLog struct {
	mu       sync.Mutex
	subjects map[string]string   // id → email
	messages map[string][]string // subject id → message ids
	// transport counts requests that got no answer at all, which is what
	// a killed or stopped server leaves its clients with.
	transport int
	// unexpected holds answers other than 201.
	unexpected []string
	// answeredAfter counts answers that arrived after the mark was set:
	// requests that were in flight when the server was signalled.
	answeredAfter atomic.Int64
	mark          atomic.Bool
}

func newLoadLog() *loadLog {
	return &loadLog{subjects: map[string]string{}, messages: map[string][]string{}}
}

// runLoad runs writers that create subjects, and a message for every
// fourth, until ctx ends, recording in lg.
func runLoad(ctx context.Context, base, token string, writers int, lg *loadLog) {
	client := newLoadClient(writers)
	post := func(path string, v any) (int, []byte, error) {
		b, _ := json.Marshal(v)
		status, body, err := loadRequest(ctx, client, "POST", base+path, token, "", b)
		if err == nil && lg.mark.Load() {
			lg.answeredAfter.Add(1)
		}
		return status, body, err
	}
	record := func(status int, body []byte, err error) bool {
		lg.mu.Lock()
		defer lg.mu.Unlock()
		switch {
		case err != nil:
			if ctx.Err() == nil {
				lg.transport++
			}
			return false
		case status != 201:
			lg.unexpected = append(lg.unexpected, fmt.Sprintf("%d %s", status, body))
			return false
		}
		return true
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				email := fmt.Sprintf("load-w%02d-%05d@durable.example", w, i)
				status, body, err := post("/v1/subjects", map[string]any{
					"kind": "end_user", "source": "registration", "email": map[string]any{"value": email},
				})
				if !record(status, body, err) {
					if err != nil {
						time.Sleep(10 * time.Millisecond) // The server is gone; do not spin.
					}
					continue
				}
				var s steward.Subject
				if json.Unmarshal(body, &s) != nil || s.ID == "" {
					lg.mu.Lock()
					lg.unexpected = append(lg.unexpected, "201 without a subject: "+string(body))
					lg.mu.Unlock()
					continue
				}
				lg.mu.Lock()
				lg.subjects[s.ID] = email
				lg.mu.Unlock()
				if i%4 != 0 {
					continue
				}
				status, body, err = post("/v1/subjects/"+s.ID+"/messages", map[string]any{
					"direction": "inbound", "channel": "web", "body": "hello from " + email,
				})
				if !record(status, body, err) {
					continue
				}
				var m steward.Message
				if json.Unmarshal(body, &m) == nil && m.ID != "" {
					lg.mu.Lock()
					lg.messages[s.ID] = append(lg.messages[s.ID], m.ID)
					lg.mu.Unlock()
				}
			}
		})
	}
	go func() {
		<-ctx.Done()
		client.CloseIdleConnections()
	}()
	wg.Wait()
}

// newLoadClient is an HTTP client for n concurrent load goroutines.
func newLoadClient(n int) *http.Client {
	return &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n},
	}
}

// loadRequest sends one request of a load run (a JSON body if body is not
// nil, a request id if reqID is not empty) and answers the status and the
// whole body, or an error when the answer did not arrive whole: a body cut
// short is no acknowledgement.
func loadRequest(ctx context.Context, client *http.Client, method, url, token, reqID string, body []byte) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if reqID != "" {
		req.Header.Set("X-Request-Id", reqID)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}

// mustAllDurable reads back every acknowledged subject and message from a
// server on the same data directory.
func mustAllDurable(t *testing.T, base, token string, lg *loadLog) {
	t.Helper()
	type item struct{ id, email string }
	work := make(chan item)
	var failures atomic.Int64
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for it := range work {
				r, err := tryDo("GET", base+"/v1/subjects/"+it.id, token, nil)
				var s steward.Subject
				if err != nil {
					failures.Add(1)
					t.Errorf("read %s: %v", it.id, err)
					continue
				}
				if r.Status != 200 || json.Unmarshal(r.Body, &s) != nil || s.Profile.Email == nil || s.Profile.Email.Value != it.email {
					if failures.Add(1) <= 10 {
						t.Errorf("acknowledged subject %s (%s) reads %d %s", it.id, it.email, r.Status, r.Body)
					}
					continue
				}
				want := lg.messages[it.id]
				if len(want) == 0 {
					continue
				}
				m, err := tryDo("GET", base+"/v1/subjects/"+it.id+"/messages", token, nil)
				var l struct{ Data []steward.Message }
				if err != nil {
					failures.Add(1)
					t.Errorf("messages of %s: %v", it.id, err)
					continue
				}
				if m.Status != 200 || json.Unmarshal(m.Body, &l) != nil {
					failures.Add(1)
					t.Errorf("messages of %s: %d %s", it.id, m.Status, m.Body)
					continue
				}
				have := map[string]bool{}
				for _, msg := range l.Data {
					have[msg.ID] = true
				}
				for _, id := range want {
					if !have[id] && failures.Add(1) <= 10 {
						t.Errorf("acknowledged message %s of %s is lost", id, it.id)
					}
				}
			}
		})
	}
	for id, email := range lg.subjects {
		work <- item{id, email}
	}
	close(work)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d acknowledged subjects or their messages were not durable", n, len(lg.subjects))
	}
}

// mustAuditVerify runs "steward audit verify --json" from the binary and
// requires a clean report.
func mustAuditVerify(t *testing.T, exe, dir string) {
	t.Helper()
	out, errOut, err := runBinary(t, exe, "audit", "verify", "--json", "--data", dir)
	var rep struct {
		OK      bool                        `json:"ok"`
		Tenants []steward.AuditVerification `json:"tenants"`
	}
	if err != nil || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || len(rep.Tenants) == 0 {
		t.Fatalf("audit verify: %v\n%s\n%s", err, out, errOut)
	}
}

func mustBinaryTenant(t *testing.T, exe, dir string) string {
	t.Helper()
	out, errOut, err := runBinary(t, exe, "tenant", "create", "--json", "--data", dir, "--name", "Durability")
	var v struct {
		APIKey string `json:"api_key"`
	}
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v.APIKey == "" {
		t.Fatalf("tenant create: %v\n%s\n%s", err, out, errOut)
	}
	return v.APIKey
}

// TestCrashKeepsAcknowledgedWrites kills the server with SIGKILL under
// load and requires every write it acknowledged to survive the restart.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	t.Parallel()
	exe := MustBinary(t)
	dir := t.TempDir()
	srv := MustServeProcess(t, exe, dir)
	token := mustBinaryTenant(t, exe, dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lg := newLoadLog()
	done := make(chan struct{})
	go func() {
		runLoad(ctx, srv.URL, token, 16, lg)
		close(done)
	}()
	time.Sleep(1500 * time.Millisecond)
	srv.Kill()
	time.Sleep(300 * time.Millisecond) // Let every writer see the crash.
	cancel()
	<-done

	if len(lg.subjects) < 20 {
		t.Fatalf("only %d subjects were acknowledged before the kill; the load did not run", len(lg.subjects))
	}
	if len(lg.unexpected) > 0 {
		t.Errorf("%d answers other than 201 before the crash, e.g. %s", len(lg.unexpected), lg.unexpected[0])
	}
	if lg.transport == 0 {
		t.Error("no request was cut off: the kill did not happen under load")
	}
	t.Logf("acknowledged %d subjects and %d messages before SIGKILL; %d requests cut off",
		len(lg.subjects), countMessages(lg), lg.transport)

	srv2 := MustServeProcess(t, exe, dir)
	mustAllDurable(t, srv2.URL, token, lg)
	if all := MustListAll(t, srv2.URL, token, 500); len(all) < len(lg.subjects) {
		t.Errorf("%d subjects listed after the restart, %d were acknowledged", len(all), len(lg.subjects))
	}
	if err := srv2.Terminate(t); err != nil {
		t.Fatalf("SIGTERM: the server exited with %v; logs:\n%s", err, srv2.logs.String())
	}
	mustAuditVerify(t, exe, dir)
}

// TestGracefulShutdownUnderLoad sends SIGTERM while requests are in
// flight: the server finishes them, exits 0, and everything it
// acknowledged is there after a restart.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	t.Parallel()
	exe := MustBinary(t)
	dir := t.TempDir()
	srv := MustServeProcess(t, exe, dir)
	token := mustBinaryTenant(t, exe, dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lg := newLoadLog()
	done := make(chan struct{})
	go func() {
		runLoad(ctx, srv.URL, token, 16, lg)
		close(done)
	}()
	time.Sleep(1000 * time.Millisecond)
	lg.mark.Store(true)
	exitErr := srv.Terminate(t)
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done

	if exitErr != nil {
		t.Fatalf("after SIGTERM the server exited with %v, want status 0; logs:\n%s", exitErr, srv.logs.String())
	}
	if len(lg.subjects) < 20 {
		t.Fatalf("only %d subjects were acknowledged; the load did not run", len(lg.subjects))
	}
	if len(lg.unexpected) > 0 {
		t.Errorf("%d requests were answered with something other than 201 during shutdown, e.g. %s", len(lg.unexpected), lg.unexpected[0])
	}
	if lg.answeredAfter.Load() == 0 {
		t.Error("no request was answered after SIGTERM: the signal did not meet requests in flight")
	}
	t.Logf("acknowledged %d subjects and %d messages; %d answered after SIGTERM; %d refused after the listener closed",
		len(lg.subjects), countMessages(lg), lg.answeredAfter.Load(), lg.transport)

	srv2 := MustServeProcess(t, exe, dir)
	mustAllDurable(t, srv2.URL, token, lg)
	if err := srv2.Terminate(t); err != nil {
		t.Fatalf("second SIGTERM: exit %v", err)
	}
	mustAuditVerify(t, exe, dir)
}

func countMessages(lg *loadLog) int {
	n := 0
	for _, ms := range lg.messages {
		n += len(ms)
	}
	return n
}
