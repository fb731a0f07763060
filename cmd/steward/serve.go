package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/stewardhq/steward/httpapi"
	"github.com/stewardhq/steward/journal"
)

// runServe starts the HTTP API and stops gracefully when ctx ends: the
// listener closes, in-flight requests finish, queued writes commit.
func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve")
	var sf storeFlags
	sf.register(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	rateLimit := fs.Float64("rate-limit", 0, "requests per second allowed per API key (0: unlimited)")
	rateBurst := fs.Int("rate-burst", 0, "burst allowed per API key (0: the rate)")
	maxBody := fs.Int64("max-body-bytes", httpapi.DefaultMaxBodyBytes, "largest request body accepted")
	debugAddr := fs.String("debug-addr", "", "if set, serve Go profiling (net/http/pprof) on this separate address; keep it private")
	shutdownTimeout := fs.Duration("shutdown-timeout", 30*time.Second, "how long in-flight requests get to finish on shutdown")
	if err := parse(e, fs, args); err != nil {
		return err
	}
	log, err := newLogger(e, *logLevel)
	if err != nil {
		return err
	}
	sf.journalReads = journal.Supported
	st, err := sf.open(ctx, log)
	if err != nil {
		return err
	}
	defer st.close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(st.Collectors()...)
	handler := httpapi.NewServer(httpapi.Config{
		Tenants: st, Subjects: st, Audit: st, Policy: st, Disclosures: st, Acceptances: st,
		Ready:        st.Ping,
		Logger:       log,
		Registry:     reg,
		MaxBodyBytes: *maxBody,
		RateLimit:    *rateLimit,
		Burst:        *rateBurst,
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	backend := "sqlite:" + sf.data
	if sf.database != "" {
		backend = "postgres"
	}
	log.Info("steward serving", "addr", ln.Addr().String(), "store", backend)
	fmt.Fprintf(e.stdout, "steward listening on http://%s\n", ln.Addr())

	if *debugAddr != "" {
		stopDebug, err := serveDebug(*debugAddr, log)
		if err != nil {
			return err
		}
		defer stopDebug()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), *shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := st.close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	log.Info("stopped cleanly")
	return nil
}
