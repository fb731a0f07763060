package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/httpapi"
)

// Tuning of the load generator.
const (
	maxBenchIDs        = 100_000          // Ids fetched for the get phase when reusing a data directory.
	maxPreloadTime     = time.Hour        // Bound on one run's preloading; an interrupted preload resumes.
	benchProgressEvery = 5 * time.Second  // Preload progress on stderr.
	benchGrace         = 30 * time.Second // How long in-flight requests may take after a phase's end.
	preloadAttempts    = 3                // Tries per preloaded subject before bench gives up.
	maxErrorSamples    = 5                // Distinct error messages kept per phase.
)

// loadWorker sends one request at a time over its own keep-alive
// connection and records what happened. It reuses its buffers, so a
// request costs bench next to nothing beyond its system calls.
type loadWorker struct {
	conn   *benchConn
	target []byte // Path and query of the next request.
	body   []byte // Body of the next POST.
	resp   bytes.Buffer

	lat     []time.Duration
	errors  int
	samples []string
}

func newLoadWorker(tgt *benchTarget, deadline time.Time) *loadWorker {
	return &loadWorker{conn: newBenchConn(tgt.addr, tgt.host, tgt.token, deadline)}
}

func (w *loadWorker) close() { w.conn.close() }

// do sends w.target (and w.body when post) and reads the answer into w.resp.
func (w *loadWorker) do(ctx context.Context, post bool) (int, error) {
	if post {
		return w.conn.roundTrip(ctx, "POST", w.target, w.body, &w.resp)
	}
	return w.conn.roundTrip(ctx, "GET", w.target, nil, &w.resp)
}

// setTarget sets the next request's target to path, then i unless it is
// negative, then suffix.
func (w *loadWorker) setTarget(path string, i int, suffix string) {
	w.target = append(w.target[:0], path...)
	if i >= 0 {
		w.target = strconv.AppendInt(w.target, int64(i), 10)
	}
	w.target = append(w.target, suffix...)
}

// create posts a subject whose email is bench-<tag><i>@example.com.
func (w *loadWorker) create(ctx context.Context, tag string, i int) (int, error) {
	b := append(w.body[:0], `{"kind":"end_user","source":"registration","email":{"value":"bench-`...)
	b = append(b, tag...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `@example.com"},"name":{"value":"Bench Subject `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `"},"billing_address":{"value":{"line1":"`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ` Bench Street","city":"Berlin","postal_code":"10115","country":"DE"}}}`...)
	w.body = b
	w.setTarget("/v1/subjects", -1, "")
	return w.do(ctx, true)
}

// check turns a transport error or an unexpected answer into an error
// message, or "" for a good answer.
func (w *loadWorker) check(status int, err error, want int) string {
	switch {
	case err != nil:
		return err.Error()
	case status != want:
		msg := bytes.TrimSpace(w.resp.Bytes())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return fmt.Sprintf("HTTP %d: %s", status, msg)
	}
	return ""
}

// fail counts an error and keeps its message if it is a new one.
func (w *loadWorker) fail(msg string) {
	w.errors++
	if len(w.samples) < maxErrorSamples && !slices.Contains(w.samples, msg) {
		w.samples = append(w.samples, msg)
	}
}

// benchPopulation is the preloaded set the measured phases draw from:
// bench-0@example.com … bench-<count-1>@example.com, and ids of (some of)
// the tenant's subjects.
type benchPopulation struct {
	count int
	ids   []string
}

// preload creates bench-<i> subjects until n exist, with conns concurrent
// clients, and records the count it reached in the data directory even
// when it fails half-way. Subjects that exist already (a 409 answer) count
// as preloaded, which makes an interrupted preload resumable.
func preload(ctx context.Context, e *env, tgt *benchTarget, n, conns int) (*benchPopulation, error) {
	start := tgt.existing()
	if tgt.dir == "" && n > 0 {
		// A server bench did not start keeps no count; if the last
		// subject of the population exists, an earlier run preloaded it.
		found, err := probeEmail(ctx, tgt, n-1)
		if err != nil {
			return nil, err
		}
		if found {
			start = n
		}
	}
	if start >= n {
		return &benchPopulation{count: start}, nil
	}
	todo := n - start
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		next    atomic.Int64
		created atomic.Int64
		done    = make([]bool, todo) // Each index is written by one worker.
		ids     = make([]string, todo)
		errOnce sync.Once
		failure error
		wg      sync.WaitGroup
	)
	began := time.Now()
	for range conns {
		wg.Go(func() {
			w := newLoadWorker(tgt, began.Add(maxPreloadTime))
			defer w.close()
			for ctx.Err() == nil {
				k := int(next.Add(1) - 1)
				if k >= todo {
					return
				}
				id, err := w.preloadOne(ctx, start+k)
				if err != nil {
					errOnce.Do(func() { failure = err; cancel() })
					return
				}
				ids[k], done[k] = id, true
				created.Add(1)
			}
		})
	}
	progress := make(chan struct{})
	go func() {
		t := time.NewTicker(benchProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-progress:
				return
			case <-t.C:
				c := created.Load()
				fmt.Fprintf(e.stderr, "bench: preloaded %d of %d subjects (%.0f/s)\n",
					int64(start)+c, n, float64(c)/time.Since(began).Seconds())
			}
		}
	}()
	wg.Wait()
	close(progress)

	// Only the unbroken run from the start counts, so that every email
	// below the count is certain to exist.
	k := 0
	for k < todo && done[k] {
		k++
	}
	pop := &benchPopulation{count: start + k}
	for _, id := range ids {
		if id != "" {
			pop.ids = append(pop.ids, id)
		}
	}
	if err := tgt.saveCount(pop.count); err != nil {
		return nil, err
	}
	if failure == nil {
		failure = ctx.Err() // Cancelled from outside.
	}
	if failure != nil {
		return nil, fmt.Errorf("preload stopped at %d subjects: %w", pop.count, failure)
	}
	if d := time.Since(began); d > time.Second {
		fmt.Fprintf(e.stderr, "bench: preloaded %d subjects in %s (%.0f/s)\n", todo, d.Round(time.Millisecond), float64(todo)/d.Seconds())
	}
	return pop, nil
}

// probeEmail reports whether subject bench-<i>@example.com exists.
func probeEmail(ctx context.Context, tgt *benchTarget, i int) (bool, error) {
	w := newLoadWorker(tgt, time.Now().Add(benchGrace))
	defer w.close()
	w.setTarget("/v1/subjects?email=bench-", i, "%40example.com")
	status, err := w.do(ctx, false)
	if msg := w.check(status, err, http.StatusOK); msg != "" {
		return false, fmt.Errorf("look up a preloaded subject: %s", msg)
	}
	return bytes.Contains(w.resp.Bytes(), []byte(`"id":`)), nil
}

// preloadOne creates subject i, retrying a few times, and returns its id,
// or "" when it existed already.
func (w *loadWorker) preloadOne(ctx context.Context, i int) (string, error) {
	var msg string
	for attempt := range preloadAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		status, err := w.create(ctx, "", i)
		if err == nil && status == http.StatusConflict {
			return "", nil
		}
		if msg = w.check(status, err, http.StatusCreated); msg == "" {
			var s struct {
				ID string `json:"id"`
			}
			if err := json.Unmarshal(w.resp.Bytes(), &s); err != nil || s.ID == "" {
				return "", fmt.Errorf("create answered no id: %q", w.resp.String())
			}
			return s.ID, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
	}
	return "", errors.New(msg)
}

// ensureIDs makes sure the get phase has ids to draw from. Ids come from
// the preload; when an earlier run did the preloading, they are listed
// through the API (which audits the reads like any other). Listing from
// the start would only ever find the oldest subjects, so pages are taken
// from cursors spread over the whole time the subjects were created in:
// ids sort by creation time.
func (p *benchPopulation) ensureIDs(ctx context.Context, tgt *benchTarget) error {
	want := min(p.count, maxBenchIDs)
	if len(p.ids) >= want {
		return nil
	}
	c := httpapi.NewClient(tgt.url, tgt.token, &http.Client{Timeout: benchGrace})
	first, _, err := c.ListSubjects(ctx, steward.Page{Limit: 1})
	if err != nil {
		return fmt.Errorf("list subject ids: %w", err)
	}
	if len(first) == 0 {
		return fmt.Errorf("the tenant has no subjects to get")
	}
	start, _ := steward.IDTime("sub", first[0].ID)
	span := time.Since(start)
	pages := (want + steward.MaxPageLimit - 1) / steward.MaxPageLimit
	seen := map[string]bool{}
	var ids []string
	for i := 0; i < pages && len(ids) < want; i++ {
		// Page i starts at a point spread evenly over the span.
		at := start.Add(time.Duration(float64(span) * float64(i) / float64(pages)))
		page := steward.Page{Limit: steward.MaxPageLimit}
		if i > 0 {
			page.After = steward.IDAt("sub", at)
		}
		subs, _, err := c.ListSubjects(ctx, page)
		if err != nil {
			return fmt.Errorf("list subject ids: %w", err)
		}
		for _, s := range subs {
			if !seen[s.ID] {
				seen[s.ID] = true
				ids = append(ids, s.ID)
			}
		}
	}
	p.ids = ids
	return nil
}

// phaseResult is what one measured phase saw. Latencies are sorted.
type phaseResult struct {
	name     string
	clients  int
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
	samples  []string

	// CPU time used during the phase by bench and by the server, and the
	// bytes the server read from storage; the server's are negative when
	// its process is unknown.
	benchCPU, serverCPU time.Duration
	diskRead            int64
}

// runPhase runs clients workers, each with its own keep-alive connection,
// for the duration or until requests requests were sent. Either way the
// phase is bounded by maxPhaseTime and maxPhaseRequests, and requests in
// flight get benchGrace to finish.
func runPhase(ctx context.Context, tgt *benchTarget, pop *benchPopulation, name string, clients int, duration time.Duration, requests int) (*phaseResult, error) {
	limit, maxReq := duration, int64(maxPhaseRequests)
	if requests > 0 {
		limit, maxReq = maxPhaseTime, int64(requests)
	}
	if name == "baseline" {
		tgt = tgt.baseline
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, limit+benchGrace)
	defer cancel()
	// Emails of the create phase are unique to this run, so it can be
	// repeated on the same data directory.
	tag := "run" + strconv.FormatUint(rand.Uint64()&0xffffffffff, 36) + "-"

	// Connections are made before the clock starts, so that the first
	// requests do not pay for them.
	workers := make([]*loadWorker, clients)
	for c := range workers {
		w := newLoadWorker(tgt, time.Now().Add(limit+benchGrace))
		defer w.close()
		if err := w.conn.dial(ctx); err != nil {
			return nil, fmt.Errorf("%s: connect: %w", name, err)
		}
		w.lat = make([]time.Duration, 0, min(maxReq/int64(clients)+1, 1<<16))
		workers[c] = w
	}

	var issued atomic.Int64
	var wg sync.WaitGroup
	cpu0, srv0 := selfCPU(), sampleServer(tgt.pid)
	began := time.Now()
	end := began.Add(limit)
	for _, w := range workers {
		wg.Go(func() {
			for {
				k := issued.Add(1)
				if k > maxReq {
					return
				}
				t0 := time.Now()
				if !t0.Before(end) {
					return
				}
				var status, want int
				var err error
				switch name {
				case "baseline":
					want = http.StatusOK
					w.setTarget(baselinePath, -1, "")
					status, err = w.do(ctx, false)
				case "create":
					want = http.StatusCreated
					status, err = w.create(ctx, tag, int(k))
				case "get":
					want = http.StatusOK
					w.setTarget("/v1/subjects/", -1, pop.ids[rand.IntN(len(pop.ids))])
					status, err = w.do(ctx, false)
				case "find":
					want = http.StatusOK
					w.setTarget("/v1/subjects?email=bench-", rand.IntN(pop.count), "%40example.com")
					status, err = w.do(ctx, false)
				}
				w.lat = append(w.lat, time.Since(t0))
				if err != nil && ctx.Err() != nil {
					// Interrupted, or no answer within the grace period:
					// the phase is over either way.
					w.fail(fmt.Sprintf("no answer within %s of the phase's end", benchGrace))
					return
				}
				msg := w.check(status, err, want)
				if msg == "" && name == "find" && !bytes.Contains(w.resp.Bytes(), []byte(`"id":`)) {
					msg = "find: a preloaded email was not found"
				}
				if msg != "" {
					w.fail(msg)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(began)
	cpu1, srv1 := selfCPU(), sampleServer(tgt.pid)
	if err := parent.Err(); err != nil {
		return nil, err
	}
	res := &phaseResult{name: name, clients: clients, elapsed: elapsed, benchCPU: cpu1 - cpu0, serverCPU: -1, diskRead: -1}
	if srv0.cpu >= 0 && srv1.cpu >= 0 {
		res.serverCPU = srv1.cpu - srv0.cpu
	}
	if srv0.diskRead >= 0 && srv1.diskRead >= 0 {
		res.diskRead = srv1.diskRead - srv0.diskRead
	}
	for _, w := range workers {
		res.lat = append(res.lat, w.lat...)
		res.errors += w.errors
		for _, s := range w.samples {
			if len(res.samples) < maxErrorSamples && !slices.Contains(res.samples, s) {
				res.samples = append(res.samples, s)
			}
		}
	}
	res.requests = len(res.lat)
	slices.Sort(res.lat)
	return res, nil
}

// serverSample is what bench reads of the server's process at the start
// and end of a phase; each is -1 when unknown.
type serverSample struct {
	cpu      time.Duration
	diskRead int64
}

func sampleServer(pid int) serverSample {
	s := serverSample{cpu: -1, diskRead: -1}
	if pid <= 0 {
		return s
	}
	if d, err := processCPU(pid); err == nil {
		s.cpu = d
	}
	if n, err := processDiskReads(pid); err == nil {
		s.diskRead = n
	}
	return s
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 1) of
// sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
