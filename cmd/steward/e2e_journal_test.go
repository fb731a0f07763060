package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// readLog records what a read load was promised: for every subject, the
// request ids of the reads answered 200 whose body arrived whole. A read
// is audited before it is answered, so each of them must be in the log.
type readLog struct {
	mu sync.Mutex
	// acked maps a subject id to the request ids of its acknowledged reads.
	acked map[string][]string
	// sent holds the request id of every read asked for, answered or not.
	sent map[string]string // request id → subject id
	// cutOff counts reads asked for before the killed process was gone
	// that got no whole answer; refused counts those asked for after.
	cutOff, refused int
	unexpected      []string
	killed          atomic.Bool
}

// runReads runs readers that read subjects by id and, every fifth read, by
// email, until ctx ends, recording in lg. Every read carries a request id
// of its own, which its audit entry keeps.
func runReads(ctx context.Context, base, token string, readers int, subjects []*steward.Subject, lg *readLog) {
	client := newLoadClient(readers)
	get := func(path, reqID string) (int, []byte, error) {
		return loadRequest(ctx, client, "GET", base+path, token, reqID, nil)
	}
	var wg sync.WaitGroup
	for w := range readers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				sub := subjects[(w+i*readers+i/7)%len(subjects)]
				reqID := fmt.Sprintf("rd-w%02d-%06d", w, i)
				byEmail := i%5 == 4
				path := "/v1/subjects/" + sub.ID
				if byEmail {
					path = "/v1/subjects?" + url.Values{"email": {sub.Profile.Email.Value}}.Encode()
				}
				afterKill := lg.killed.Load()
				lg.mu.Lock()
				lg.sent[reqID] = sub.ID
				lg.mu.Unlock()
				status, body, err := get(path, reqID)
				lg.mu.Lock()
				switch {
				case err != nil:
					switch {
					case ctx.Err() != nil:
					case afterKill:
						lg.refused++
					default:
						lg.cutOff++
					}
				case status != 200:
					lg.unexpected = append(lg.unexpected, fmt.Sprintf("%s: %d %s", path, status, body))
				default:
					var got steward.Subject
					var l subjectList
					ok := false
					if byEmail {
						ok = json.Unmarshal(body, &l) == nil && len(l.Data) == 1 && l.Data[0].ID == sub.ID
					} else {
						ok = json.Unmarshal(body, &got) == nil && got.ID == sub.ID
					}
					if ok {
						lg.acked[sub.ID] = append(lg.acked[sub.ID], reqID)
					} else {
						lg.unexpected = append(lg.unexpected, fmt.Sprintf("%s: 200 not naming %s: %s", path, sub.ID, body))
					}
				}
				lg.mu.Unlock()
				if err != nil {
					time.Sleep(10 * time.Millisecond) // The server is gone; do not spin.
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

// auditList is the body of GET /v1/audit.
type auditList struct {
	Data []steward.AuditEntry `json:"data"`
	Next string               `json:"next"`
}

// mustSubjectAudit pages through the audit entries about one subject.
func mustSubjectAudit(t *testing.T, base, token, subjectID string) []steward.AuditEntry {
	t.Helper()
	var all []steward.AuditEntry
	after := ""
	for page := 0; ; page++ {
		if page > 10000 {
			t.Fatalf("audit listing of %s never ends", subjectID)
		}
		q := url.Values{"subject_id": {subjectID}, "limit": {fmt.Sprint(steward.MaxPageLimit)}}
		if after != "" {
			q.Set("after", after)
		}
		r := Do(t, "GET", base+"/v1/audit?"+q.Encode(), token, nil)
		MustStatus(t, r, 200, "list audit of "+subjectID)
		var l auditList
		r.JSON(t, &l)
		all = append(all, l.Data...)
		if l.Next == "" {
			return all
		}
		if len(l.Data) == 0 {
			t.Fatalf("empty audit page with a next cursor %q", l.Next)
		}
		after = l.Next
	}
}

func auditJournals(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "audit-*.journal"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestCrashKeepsAcknowledgedReadAudits kills the server with SIGKILL while
// subjects are being read and requires the audit entry of every read it
// answered to be in the log after the restart: the entries the dead
// process journaled but had not folded are folded by the next start.
func TestCrashKeepsAcknowledgedReadAudits(t *testing.T) {
	t.Parallel()
	exe := MustBinary(t)
	dir := t.TempDir()
	srv := MustServeProcess(t, exe, dir)
	token := mustBinaryTenant(t, exe, dir)

	subjects := make([]*steward.Subject, 40)
	for i := range subjects {
		subjects[i] = MustCreateSubject(t, srv.URL, token, map[string]any{
			"kind": "end_user", "source": "registration",
			"email": map[string]any{"value": fmt.Sprintf("reader-%02d@journal.example", i)},
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lg := &readLog{acked: map[string][]string{}, sent: map[string]string{}}
	done := make(chan struct{})
	go func() {
		runReads(ctx, srv.URL, token, 16, subjects, lg)
		close(done)
	}()
	time.Sleep(1500 * time.Millisecond)
	srv.Kill()
	// Set once the process is gone: a read asked for before then was in
	// flight or queued when the server died, however late this goroutine
	// got to run after the kill.
	lg.killed.Store(true)
	time.Sleep(300 * time.Millisecond) // Let every reader see the crash.
	cancel()
	<-done

	acked := 0
	for _, ids := range lg.acked {
		acked += len(ids)
	}
	if acked < 200 {
		t.Fatalf("only %d reads were acknowledged before the kill; the load did not run", acked)
	}
	if len(lg.unexpected) > 0 {
		t.Errorf("%d unexpected answers before the crash, e.g. %s", len(lg.unexpected), lg.unexpected[0])
	}
	if lg.cutOff == 0 {
		t.Error("no read was cut off: the kill did not happen under load")
	}
	t.Logf("acknowledged %d reads of %d subjects before SIGKILL; %d cut off, %d refused after",
		acked, len(lg.acked), lg.cutOff, lg.refused)

	orphans := auditJournals(t, dir)
	if len(orphans) == 0 {
		t.Fatal("the killed server left no audit journal: the crash path was not exercised")
	}

	// The restarted server logs at info, so its fold of the orphan shows.
	srv2 := MustServeProcess(t, exe, dir, "--log-level", "info")
	for _, o := range orphans {
		if _, err := os.Stat(o); !os.IsNotExist(err) {
			t.Errorf("the audit journal %s left by the killed server is still there after the restart (%v)", filepath.Base(o), err)
		}
	}
	// Only the audit log is read before the check: no subject read may add
	// entries of its own.
	shortfalls := 0
	for _, sub := range subjects {
		entries := mustSubjectAudit(t, srv2.URL, token, sub.ID)
		reads := 0
		logged := map[string]int{}
		for _, e := range entries {
			if e.SubjectID != sub.ID {
				t.Errorf("audit listing of %s holds an entry about %s", sub.ID, e.SubjectID)
			}
			if e.Action != steward.ActionRead {
				continue
			}
			reads++
			logged[e.RequestID]++
			if owner, ok := lg.sent[e.RequestID]; !ok || owner != sub.ID {
				t.Errorf("subject %s: read entry %d with request id %q matches no read of it that was sent", sub.ID, e.Index, e.RequestID)
			}
		}
		want := lg.acked[sub.ID]
		if reads < len(want) {
			shortfalls++
			var missing []string
			for _, id := range want {
				if logged[id] == 0 {
					missing = append(missing, id)
				}
			}
			sort.Strings(missing)
			t.Errorf("subject %s: %d read entries in the audit log, %d reads were acknowledged; missing request ids (%d): %s",
				sub.ID, reads, len(want), len(missing), strings.Join(missing[:min(len(missing), 10)], " "))
			continue
		}
		for _, id := range want {
			if logged[id] == 0 {
				t.Errorf("subject %s: acknowledged read %s has no audit entry", sub.ID, id)
			}
		}
		for id, n := range logged {
			if n > 1 {
				t.Errorf("subject %s: read %s is in the audit log %d times", sub.ID, id, n)
			}
		}
	}
	if shortfalls > 0 {
		t.Errorf("%d of %d subjects lack audit entries for reads that were answered", shortfalls, len(subjects))
	}

	const folded = "folded an audit journal left by a stopped process"
	logs := srv2.logs.String()
	if i := strings.Index(logs, folded); i < 0 {
		t.Errorf("the restarted server did not log %q; logs:\n%s", folded, logs)
	} else {
		line, _, _ := strings.Cut(logs[strings.LastIndex(logs[:i], "\n")+1:], "\n")
		t.Logf("restart: %s", line)
	}
	if err := srv2.Terminate(t); err != nil {
		t.Fatalf("SIGTERM: the server exited with %v; logs:\n%s", err, srv2.logs.String())
	}
	if left := auditJournals(t, dir); len(left) > 0 {
		t.Errorf("audit journals left after a clean shutdown: %v", left)
	}
	mustAuditVerify(t, exe, dir)
}
