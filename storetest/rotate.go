package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// readAll reads every subject of a tenant through a listing (which
// decrypts each) and every message of the given subjects, and fails on any
// error or mismatch.
func readAll(tb testing.TB, h *Harness, a steward.Actor, want int, bodies map[string]string) {
	tb.Helper()
	ctx := context.Background()
	n, after := 0, ""
	for {
		subs, next, err := h.Store.Subjects(ctx, a, steward.Page{After: after, Limit: steward.MaxPageLimit})
		if err != nil {
			tb.Fatalf("list subjects: %v", err)
		}
		n += len(subs)
		if next == "" {
			break
		}
		after = next
	}
	if n != want {
		tb.Fatalf("read %d subjects, want %d", n, want)
	}
	for id, body := range bodies {
		msgs, _, err := h.Store.Messages(ctx, a, id, steward.Page{})
		if err != nil {
			tb.Fatalf("messages of %s: %v", id, err)
		}
		if len(msgs) != 1 || msgs[0].Body != body {
			tb.Fatalf("messages of %s = %+v, want %q", id, msgs, body)
		}
	}
}

// keyVersions returns the tenant key versions a tenant holds, and how many
// of its subjects are wrapped under each version.
func keyVersions(tb testing.TB, h *Harness, tenant string) (versions []int64, subjects map[int64]int64) {
	tb.Helper()
	rows, err := h.Raw.Query(h.Rebind(`SELECT version FROM tenant_keys WHERE tenant_id = ? ORDER BY version`), tenant)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var v int64
		rows.Scan(&v)
		versions = append(versions, v)
	}
	rows.Close()
	subjects = map[int64]int64{}
	rows, err = h.Raw.Query(h.Rebind(`SELECT key_version, COUNT(*) FROM subjects WHERE tenant_id = ? GROUP BY key_version`), tenant)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v, c int64
		rows.Scan(&v, &c)
		subjects[v] = c
	}
	return versions, subjects
}

// seedRotation creates n subjects in a tenant, each fifth with a message
// whose body it records in bodies.
func seedRotation(tb testing.TB, h *Harness, a steward.Actor, n int, bodies map[string]string) {
	tb.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	const workers = 8
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n && errs[w] == nil; i += workers {
				in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm,
					Email: &steward.Field[string]{Value: fmt.Sprintf("r%d@example.com", i)}}
				sub, err := in.Subject(time.Now())
				if err == nil {
					sub, _, err = h.Store.CreateSubject(ctx, a, sub, nil)
				}
				if err == nil && i%5 == 0 {
					body := fmt.Sprintf("message of subject %d", i)
					var m *steward.Message
					if m, err = (&steward.MessageInput{Direction: steward.Inbound, Channel: "web", Body: body}).Message(sub.ID, time.Now()); err == nil {
						_, _, err = h.Store.AddMessage(ctx, a, m, nil)
					}
					mu.Lock()
					bodies[sub.ID] = body
					mu.Unlock()
				}
				errs[w] = err
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		tb.Fatalf("seed subjects: %v", err)
	}
}

// testRotation rotates every tenant key while subjects are created and
// read, and checks nothing became unreadable and no old key survives.
func testRotation(t *testing.T, open Opener) {
	h := open(t)
	ctx := context.Background()
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	bodies := map[string]string{}
	seedRotation(t, h, a, 60, bodies)
	seedRotation(t, h, b, 15, map[string]string{})

	// Traffic during the rotation: create, read back, add a message.
	stop := make(chan struct{})
	var created atomic.Int64
	trafficErr := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				trafficErr <- nil
				return
			default:
			}
			in := &steward.SubjectInput{Kind: steward.KindEndUser, Source: steward.SourceForm, Email: &steward.Field[string]{Value: fmt.Sprintf("during%d@example.com", i)}}
			sub, err := in.Subject(time.Now())
			if err == nil {
				sub, _, err = h.Store.CreateSubject(ctx, a, sub, nil)
			}
			if err == nil {
				created.Add(1)
				_, err = h.Store.Subject(ctx, a, sub.ID)
			}
			if err == nil {
				var m *steward.Message
				m, err = (&steward.MessageInput{Direction: steward.Inbound, Channel: "web", Body: "during rotation"}).Message(sub.ID, time.Now())
				if err == nil {
					_, _, err = h.Store.AddMessage(ctx, a, m, nil)
				}
			}
			if err != nil {
				trafficErr <- err
				return
			}
		}
	}()
	// Let the traffic start before the rotation does, and run on a while
	// against the rotated keys.
	waitFor(func() bool { return created.Load() >= 3 })
	var calls atomic.Int64
	report, err := h.Store.RotateTenantKeys(ctx, func(done, total int) { calls.Add(1) })
	at := created.Load()
	waitFor(func() bool { return created.Load() >= at+3 })
	close(stop)
	if err := <-trafficErr; err != nil {
		t.Fatalf("traffic during rotation: %v", err)
	}
	if err != nil {
		t.Fatalf("rotate: %v", err)
	}
	if report.Tenants != 2 || report.SubjectsRewrapped < 75 || calls.Load() == 0 {
		t.Fatalf("report %+v after %d progress calls", report, calls.Load())
	}

	check := func(t *testing.T, version int64) {
		for _, ten := range []steward.Actor{a, b} {
			versions, subjects := keyVersions(t, h, ten.TenantID)
			if len(versions) != 1 || versions[0] != version || len(subjects) != 1 || subjects[version] == 0 {
				t.Fatalf("tenant %s: key versions %v, subjects by version %v; want only %d", ten.TenantID, versions, subjects, version)
			}
		}
		readAll(t, h, a, 60+int(created.Load()), bodies)
		readAll(t, h, b, 15, nil)
		// New subjects use the new version.
		s := MustSubject(t, h.Store, b, fmt.Sprintf("after%d@example.com", version), "After")
		var v int64
		if err := h.Raw.QueryRow(h.Rebind(`SELECT key_version FROM subjects WHERE tenant_id = ? AND id = ?`), b.TenantID, s.ID).Scan(&v); err != nil || v != version {
			t.Fatalf("a subject created after rotation uses key version %d (%v), want %d", v, err, version)
		}
		if _, err := h.Store.EraseSubject(ctx, b, s.ID); err != nil {
			t.Fatal(err)
		}
		MustVerify(t, h.Store)
	}
	t.Run("Once", func(t *testing.T) { check(t, 2) })
	t.Run("Twice", func(t *testing.T) {
		if _, err := h.Store.RotateTenantKeys(ctx, nil); err != nil {
			t.Fatal(err)
		}
		check(t, 3)
	})
}

// testInterruptedRotation stops a rotation after its first batch: every
// subject stays readable and writable, and the next run finishes the job
// on the version the first one started.
func testInterruptedRotation(t *testing.T, open Opener) {
	h := open(t)
	a, _ := MustTenant(t, h.Store, "Acme")
	b, _ := MustTenant(t, h.Store, "Other")
	bodies := map[string]string{}
	// More subjects than one rotation batch re-wraps (500), so the
	// interruption leaves the tenant half under each version.
	const n = 520
	seedRotation(t, h, a, n, bodies)
	seedRotation(t, h, b, 10, map[string]string{})

	ctx, cancel := context.WithCancel(context.Background())
	_, err := h.Store.RotateTenantKeys(ctx, func(done, total int) { cancel() })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rotation returned %v, want context.Canceled", err)
	}
	// Tenants rotate oldest first: a was interrupted after its first
	// batch, b was not reached.
	versions, subjects := keyVersions(t, h, a.TenantID)
	if len(versions) != 2 || subjects[1] == 0 || subjects[2] == 0 {
		t.Fatalf("interrupted tenant holds key versions %v, subjects by version %v; want both in use", versions, subjects)
	}
	if versions, _ := keyVersions(t, h, b.TenantID); len(versions) != 1 || versions[0] != 1 {
		t.Fatalf("the tenant after the interruption holds key versions %v, want [1]", versions)
	}

	t.Run("Readable", func(t *testing.T) {
		readAll(t, h, a, n, bodies)
		readAll(t, h, b, 10, nil)
		// Writes go on: new subjects, updates of subjects under either
		// version, messages.
		ctx := context.Background()
		s := MustSubject(t, h.Store, a, "midway@example.com", "Midway")
		bodies[s.ID] = "written midway"
		MustMessage(t, h.Store, a, s.ID, bodies[s.ID])
		subs, _, err := h.Store.Subjects(ctx, a, steward.Page{Limit: steward.MaxPageLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range []*steward.Subject{subs[0], subs[len(subs)-1]} {
			if _, err := h.Store.UpdateSubject(ctx, a, sub.ID, &steward.SubjectPatch{Source: steward.SourceForm, Name: steward.Patch[steward.Field[string]]{Set: true, Value: &steward.Field[string]{Value: "Updated Midway"}}}); err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("Resumed", func(t *testing.T) {
		report, err := h.Store.RotateTenantKeys(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if report.Tenants != 2 {
			t.Fatalf("report %+v", report)
		}
		for _, ten := range []steward.Actor{a, b} {
			versions, subjects := keyVersions(t, h, ten.TenantID)
			if len(versions) != 1 || versions[0] != 2 || len(subjects) != 1 || subjects[2] == 0 {
				t.Fatalf("tenant %s after resuming: versions %v, subjects by version %v; want only 2", ten.TenantID, versions, subjects)
			}
		}
		readAll(t, h, a, n+1, bodies)
		readAll(t, h, b, 10, nil)
		MustVerify(t, h.Store)
	})
}

// waitFor polls cond until it holds or a few seconds have passed; the
// caller's own checks then report what did not happen.
func waitFor(cond func() bool) {
	for deadline := time.Now().Add(5 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
}
