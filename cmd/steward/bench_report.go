package main

import (
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"
)

// benchReport is the outcome of a bench run, printed as a table or JSON.
type benchReport struct {
	URL        string        `json:"url"`
	Phases     []phaseReport `json:"phases"`
	Preloaded  int           `json:"preloaded"`  // bench-<i> subjects the phases drew from.
	Created    int           `json:"created"`    // Subjects the create phase added.
	RSSMiB     *float64      `json:"rss_mib"`    // Server's peak RSS; null when unknown.
	GoVersion  string        `json:"go_version"` // Of bench, which is the server's with no --url.
	GOMAXPROCS int           `json:"gomaxprocs"` // Of bench.
	CPUs       int           `json:"cpus"`       // Logical CPUs of the machine.
	Server     string        `json:"server"`     // "child" or "external".
	Bound      string        `json:"bound"`      // The limit of each phase, like "10s" or "200 requests".
}

// phaseReport is one row of the table. Latencies are in milliseconds;
// req_per_sec counts successful requests only.
type phaseReport struct {
	Phase     string  `json:"phase"`
	Clients   int     `json:"clients"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	ReqPerSec float64 `json:"req_per_sec"`
	P50ms     float64 `json:"p50_ms"`
	P90ms     float64 `json:"p90_ms"`
	P99ms     float64 `json:"p99_ms"`
	MaxMs     float64 `json:"max_ms"`
	// CPU time per request, in microseconds, of the server (null when
	// unknown) and of bench itself. They show where a phase's time goes
	// when bench and the server share the machine's cores.
	ServerCPUus *float64 `json:"server_cpu_us_per_req"`
	BenchCPUus  float64  `json:"bench_cpu_us_per_req"`
	// KiB per request the server read from storage rather than the page
	// cache (null when unknown): above zero, the database is not staying
	// in memory, and the phase measures the disk as much as the server.
	ServerDiskKiB *float64 `json:"server_disk_read_kib_per_req"`
	ErrorSamples  []string `json:"error_samples,omitempty"`
}

func newBenchReport(cfg *benchConfig, url string) *benchReport {
	r := &benchReport{
		URL:        url,
		Phases:     []phaseReport{},
		GoVersion:  runtime.Version(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPUs:       runtime.NumCPU(),
		Server:     "child",
		Bound:      cfg.duration.String(),
	}
	if cfg.url != "" {
		r.Server = "external"
	}
	if cfg.requests > 0 {
		r.Bound = fmt.Sprintf("%d requests", cfg.requests)
	}
	return r
}

func (r *benchReport) add(res *phaseResult) {
	secs := res.elapsed.Seconds()
	perReq := func(d time.Duration) float64 {
		return round3(float64(d) / float64(time.Microsecond) / float64(max(res.requests, 1)))
	}
	p := phaseReport{
		Phase:        res.name,
		Clients:      res.clients,
		Requests:     res.requests,
		Errors:       res.errors,
		Seconds:      round3(secs),
		ReqPerSec:    round3(float64(res.requests-res.errors) / secs),
		P50ms:        ms(percentile(res.lat, 0.50)),
		P90ms:        ms(percentile(res.lat, 0.90)),
		P99ms:        ms(percentile(res.lat, 0.99)),
		MaxMs:        ms(percentile(res.lat, 1)),
		ErrorSamples: res.samples,
		BenchCPUus:   perReq(res.benchCPU),
	}
	if res.serverCPU >= 0 {
		v := perReq(res.serverCPU)
		p.ServerCPUus = &v
	}
	if res.diskRead >= 0 {
		v := round3(float64(res.diskRead) / 1024 / float64(max(res.requests, 1)))
		p.ServerDiskKiB = &v
	}
	r.Phases = append(r.Phases, p)
	if res.name == "create" {
		r.Created += res.requests - res.errors
	}
}

func (r *benchReport) setRSS(bytes int64) {
	mib := round3(float64(bytes) / (1 << 20))
	r.RSSMiB = &mib
}

// writeTable prints the phases as a table followed by the run's context.
func (r *benchReport) writeTable(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "phase\tclients\trequests\terrors\treq/s\tp50\tp90\tp99\tmax\tserver cpu/req\tbench cpu/req\tdisk read/req")
	for _, p := range r.Phases {
		srv, disk := "?", "?"
		if p.ServerCPUus != nil {
			srv = fmtMs(*p.ServerCPUus / 1000)
		}
		if p.ServerDiskKiB != nil {
			disk = fmt.Sprintf("%.1fKiB", *p.ServerDiskKiB)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Phase, p.Clients, p.Requests, p.Errors,
			p.ReqPerSec, fmtMs(p.P50ms), fmtMs(p.P90ms), fmtMs(p.P99ms), fmtMs(p.MaxMs), srv, fmtMs(p.BenchCPUus/1000), disk)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, p := range r.Phases {
		for _, s := range p.ErrorSamples {
			fmt.Fprintf(out, "%s error: %s\n", p.Phase, s)
		}
	}
	fmt.Fprintf(out, "subjects stored:   %d (%d preloaded + %d created)\n", r.Preloaded+r.Created, r.Preloaded, r.Created)
	if r.RSSMiB != nil {
		fmt.Fprintf(out, "server peak RSS:   %.1f MiB\n", *r.RSSMiB)
	} else {
		fmt.Fprintln(out, "server peak RSS:   unknown (give --pid with --url)")
	}
	fmt.Fprintf(out, "phase bound:       %s\n", r.Bound)
	fmt.Fprintf(out, "server:            %s (%s)\n", r.URL, r.Server)
	fmt.Fprintf(out, "Go version:        %s\n", r.GoVersion)
	fmt.Fprintf(out, "GOMAXPROCS:        %d\n", r.GOMAXPROCS)
	_, err := fmt.Fprintf(out, "machine cores:     %d\n", r.CPUs)
	return err
}

func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 {
	return float64(int64(f*1000+0.5)) / 1000
}

// fmtMs prints a latency with a precision that suits its size.
func fmtMs(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 10:
		return fmt.Sprintf("%.2fms", v)
	case v < 1000:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fs", v/1000)
}
