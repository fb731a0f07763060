// Package httpapi is Steward's HTTP transport: the /v1 JSON API for tenants'
// back ends, the health, readiness, metrics and OpenAPI endpoints, and a Go
// client for integrators. It owns how requests are authenticated, decoded,
// limited, measured and answered; what a request does is left to the domain
// services it is given, so no storage or crypto detail lives here.
package httpapi

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
	"golang.org/x/time/rate"
)

// Config holds a Server's dependencies and limits. Zero values get the
// defaults documented on each field.
type Config struct {
	Tenants  steward.TenantService
	Subjects steward.SubjectService
	Audit    steward.AuditService
	Policy   policy.Store
	// Disclosures keeps the disclosure ledger.
	Disclosures policy.DisclosureStore
	// Acceptances keeps which policy versions subjects accepted.
	Acceptances policy.AcceptanceStore

	// Ready reports whether the server can serve, e.g. by pinging the store.
	// Nil means always ready.
	Ready func(ctx context.Context) error

	// Logger receives one line per failure; nil discards.
	Logger *slog.Logger

	// Registry receives the HTTP metrics and is what GET /metrics exposes;
	// the caller may register other collectors on it. Nil makes a private one.
	Registry *prometheus.Registry

	// MaxBodyBytes bounds request bodies; 0 means 1 MiB.
	MaxBodyBytes int64

	// RateLimit is the sustained requests per second allowed per API key,
	// with Burst requests at once; 0 means unlimited. Burst 0 means
	// RateLimit rounded up.
	RateLimit float64
	Burst     int

	// AuthFailureLimit throttles failed authentications per client address
	// so API keys cannot be guessed quickly; 0 means 10 per second with
	// AuthFailureBurst (0 means 50).
	AuthFailureLimit float64
	AuthFailureBurst int

	// Now is the clock stamped on new records; nil means time.Now.
	Now func() time.Time
}

// Defaults applied by NewServer.
const (
	DefaultMaxBodyBytes     = 1 << 20
	DefaultAuthFailureLimit = 10
	DefaultAuthFailureBurst = 50
)

// Server serves Steward's HTTP API. It is an http.Handler; build it with
// NewServer.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	routes  []Route
	metrics *metrics

	// keyLimits throttles each API key; nil when RateLimit is 0.
	keyLimits *limiterSet
	// authFailures throttles failed authentications per client address.
	authFailures *limiterSet
	// notices keeps rendered privacy notices (public pages).
	notices noticeCache
}

// NewServer returns a Server with every route registered.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.AuthFailureLimit <= 0 {
		cfg.AuthFailureLimit = DefaultAuthFailureLimit
	}
	if cfg.AuthFailureBurst <= 0 {
		cfg.AuthFailureBurst = DefaultAuthFailureBurst
	}
	if cfg.RateLimit > 0 && cfg.Burst <= 0 {
		cfg.Burst = max(1, int(math.Ceil(cfg.RateLimit)))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{
		cfg:          cfg,
		log:          cfg.Logger.With("component", "httpapi"),
		now:          cfg.Now,
		mux:          http.NewServeMux(),
		metrics:      newMetrics(cfg.Registry),
		authFailures: newLimiterSet(rate.Limit(cfg.AuthFailureLimit), cfg.AuthFailureBurst),
	}
	if cfg.RateLimit > 0 {
		s.keyLimits = newLimiterSet(rate.Limit(cfg.RateLimit), cfg.Burst)
	}
	s.registerRoutes()
	return s
}

// ServeHTTP answers one request. It stamps the request id and security
// headers before anything else runs so that every answer, including errors
// and recovered panics, carries them; it records metrics last.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &requestState{id: requestID(r), route: routeUnmatched}
	rw := &responseWriter{ResponseWriter: w}
	setCommonHeaders(rw.Header(), r, st.id)
	r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))

	// Deferred in this order so the metrics are recorded even when
	// recoverPanic re-panics to abort a half-written response.
	defer func() { s.metrics.observe(st.route, r.Method, rw.code(), time.Since(start)) }()
	defer func() {
		if v := recover(); v != nil {
			s.recoverPanic(rw, r, v)
		}
	}()
	s.dispatch(rw, r)
}
