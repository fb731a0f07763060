package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// benchPhases are the measurements bench knows, in their default order.
// baseline loads a trivial handler inside bench instead of the server.
var benchPhases = []string{"baseline", "create", "get", "find"}

// Bounds that keep every bench loop finite even when a flag asks for a long
// run: a phase stops after maxPhaseTime or maxPhaseRequests, whichever comes
// first, and no bench run preloads more than maxBenchSubjects.
const (
	maxPhaseTime     = 10 * time.Minute
	maxPhaseRequests = 10_000_000
	maxBenchSubjects = 10_000_000
	maxBenchClients  = 1024
)

// benchConfig is what one bench run was asked to do.
type benchConfig struct {
	subjects int
	clients  []int // Each phase runs once at each count, in order.
	duration time.Duration
	requests int
	phases   []string
	data     string
	url      string
	pid      int
	keep     bool
	exe      string
	asJSON   bool
}

// runBench measures create, get by id and find by email over HTTP. By
// default it starts its own server as a child process on a temporary data
// directory; with --url it loads a server that is already running.
func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "bench")
	var cfg benchConfig
	var phases, clients string
	fs.IntVar(&cfg.subjects, "subjects", 10000, "subjects to preload before measuring (reused ones count)")
	fs.StringVar(&clients, "clients", "16", "concurrent clients in each measured phase; a comma-separated list (16,48) measures each phase at each count (preloading uses 4× the first)")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "how long each phase runs")
	fs.IntVar(&cfg.requests, "requests", 0, "requests per phase instead of --duration (0: use --duration)")
	fs.StringVar(&phases, "phases", strings.Join(benchPhases, ","), "comma-separated phases to measure: baseline (a trivial JSON handler inside bench: this machine's ceiling), create, get, find")
	fs.StringVar(&cfg.data, "data", "", "data directory to use and keep, so a large preload is reused across runs (default: a temporary one)")
	fs.StringVar(&cfg.url, "url", "", "load an already running server on localhost instead of starting one (API key in STEWARD_TOKEN)")
	fs.IntVar(&cfg.pid, "pid", 0, "with --url: the server's process id, to report its peak RSS")
	fs.BoolVar(&cfg.keep, "keep", false, "keep the temporary data directory")
	fs.StringVar(&cfg.exe, "exe", "", "steward binary to start as the server (default: this one)")
	fs.BoolVar(&cfg.asJSON, "json", false, "print JSON")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	for p := range strings.SplitSeq(phases, ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.phases = append(cfg.phases, p)
		}
	}
	var err error
	if cfg.clients, err = parseClients(clients); err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	// Bench's progress lines and its server's log share stderr.
	be := *e
	be.stderr = &lockedWriter{w: e.stderr}
	e = &be

	tgt, err := openBenchTarget(ctx, e, &cfg)
	if err != nil {
		return err
	}
	defer tgt.close()

	pop := &benchPopulation{}
	if cfg.needsPreload() {
		if pop, err = preload(ctx, e, tgt, cfg.subjects, cfg.clients[0]*4); err != nil {
			return err
		}
	}
	if slices.Contains(cfg.phases, "baseline") {
		base, err := startBaselineServer()
		if err != nil {
			return fmt.Errorf("start the baseline server: %w", err)
		}
		defer base.close()
		tgt.baseline = base.tgt
	}
	if slices.Contains(cfg.phases, "get") {
		if err := pop.ensureIDs(ctx, tgt); err != nil {
			return err
		}
	}

	rep := newBenchReport(&cfg, tgt.url)
	rep.Preloaded = pop.count
	for _, name := range cfg.phases {
		for _, n := range cfg.clients {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := runPhase(ctx, tgt, pop, name, n, cfg.duration, cfg.requests)
			if err != nil {
				return err
			}
			rep.add(res)
		}
	}
	if tgt.pid > 0 {
		rss, err := peakRSS(tgt.pid)
		if err != nil {
			fmt.Fprintf(e.stderr, "bench: server peak RSS: %v\n", err)
		} else {
			rep.setRSS(rss)
		}
	}
	// The server stops before the report is printed so that its shutdown
	// log does not land in the middle of the table.
	if err := tgt.close(); err != nil {
		return err
	}
	if cfg.asJSON {
		return printJSON(e, rep)
	}
	return rep.writeTable(e.stdout)
}

// validate checks the flags against each other and against the bounds.
func (c *benchConfig) validate() error {
	switch {
	case c.subjects < 0 || c.subjects > maxBenchSubjects:
		return fmt.Errorf("--subjects must be between 0 and %d", maxBenchSubjects)
	case c.requests < 0 || c.requests > maxPhaseRequests:
		return fmt.Errorf("--requests must be between 0 and %d", maxPhaseRequests)
	case c.requests == 0 && (c.duration <= 0 || c.duration > maxPhaseTime):
		return fmt.Errorf("--duration must be positive and at most %s", maxPhaseTime)
	case len(c.phases) == 0:
		return fmt.Errorf("--phases names no phase")
	case c.url != "" && c.data != "":
		return fmt.Errorf("--url and --data exclude each other: --data belongs to the server bench starts")
	case c.url == "" && c.pid != 0:
		return fmt.Errorf("--pid only goes with --url; bench knows its own server's")
	}
	for _, p := range c.phases {
		if !slices.Contains(benchPhases, p) {
			return fmt.Errorf("--phases: unknown phase %q (want baseline, create, get or find)", p)
		}
		if (p == "get" || p == "find") && c.subjects == 0 {
			return fmt.Errorf("phase %s needs preloaded subjects: set --subjects", p)
		}
	}
	if c.url != "" {
		return checkLocalURL(c.url)
	}
	return nil
}

// needsPreload reports whether any phase loads the server, whose subjects
// are preloaded first; the baseline alone does not.
func (c *benchConfig) needsPreload() bool {
	return slices.ContainsFunc(c.phases, func(p string) bool { return p != "baseline" })
}

// parseClients reads --clients: one count, or several separated by commas.
func parseClients(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxBenchClients {
			return nil, fmt.Errorf("--clients: %q is not a count between 1 and %d", strings.TrimSpace(f), maxBenchClients)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkLocalURL refuses any server but one on this machine: a load test
// aimed at a shared server by mistake would hurt others.
func checkLocalURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return fmt.Errorf("--url must look like http://127.0.0.1:8080")
	}
	switch host := u.Hostname(); host {
	case "localhost", "127.0.0.1", "::1":
		return nil
	default:
		if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
			return nil
		}
	}
	return fmt.Errorf("--url: bench only loads servers on localhost, not %s", u.Host)
}

// benchTarget is the server under load: its URL and API key, and, when
// bench started it, the process and data directory to clean up.
type benchTarget struct {
	url   string
	addr  string // host:port to dial.
	host  string // Host header.
	token string
	pid   int    // 0 when unknown.
	dir   string // Where bench-count lives; empty with --url.

	srv      *benchServer
	baseline *benchTarget // The baseline phase's trivial server, when it runs.
	tmpDir   string       // A temporary data directory to delete on close.
	closed   bool
}

// openBenchTarget connects to --url or starts a server of its own.
func openBenchTarget(ctx context.Context, e *env, cfg *benchConfig) (*benchTarget, error) {
	if cfg.url != "" {
		token := e.getenv("STEWARD_TOKEN")
		if token == "" {
			return nil, fmt.Errorf("--url needs STEWARD_TOKEN set to an API key of the server")
		}
		tgt := &benchTarget{token: token, pid: cfg.pid}
		return tgt, tgt.setURL(cfg.url)
	}
	exe := cfg.exe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find the steward binary: %w", err)
		}
	}
	tgt := &benchTarget{dir: cfg.data}
	if tgt.dir == "" {
		dir, err := os.MkdirTemp("", "steward-bench-")
		if err != nil {
			return nil, err
		}
		tgt.dir = dir
		if cfg.keep {
			fmt.Fprintf(e.stderr, "bench: data directory %s is kept\n", dir)
		} else {
			tgt.tmpDir = dir
		}
	} else if err := os.MkdirAll(tgt.dir, 0o700); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			tgt.close()
		}
	}()
	token, err := benchToken(ctx, e, exe, tgt.dir)
	if err != nil {
		return nil, err
	}
	tgt.token = token
	srv, err := startBenchServer(ctx, e, exe, tgt.dir)
	if err != nil {
		return nil, err
	}
	tgt.srv, tgt.pid = srv, srv.pid()
	if err := tgt.setURL(srv.url); err != nil {
		return nil, err
	}
	ok = true
	return tgt, nil
}

// setURL sets the server's base URL and the address it is reached at.
func (t *benchTarget) setURL(raw string) error {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("server URL %q: want http://HOST:PORT", raw)
	}
	t.url, t.host, t.addr = u.String(), u.Host, u.Host
	if u.Port() == "" {
		t.addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return nil
}

// close stops bench's own server and removes its temporary directory. It
// may be called more than once.
func (t *benchTarget) close() error {
	if t.closed {
		return nil
	}
	t.closed = true
	var errs []error
	if t.srv != nil {
		errs = append(errs, t.srv.stop())
	}
	if t.tmpDir != "" {
		errs = append(errs, os.RemoveAll(t.tmpDir))
	}
	return errors.Join(errs...)
}

// existing returns how many bench-<i> subjects an earlier run left in the
// data directory, 0 when unknown.
func (t *benchTarget) existing() int {
	if t.dir == "" {
		return 0
	}
	return readBenchCount(t.dir)
}

// saveCount records the preloaded population for the next run.
func (t *benchTarget) saveCount(n int) error {
	if t.dir == "" {
		return nil
	}
	return writeBenchCount(t.dir, n)
}

// lockedWriter serialises writes from several goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
