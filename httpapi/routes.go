package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// Route is one registered method and ServeMux path pattern.
type Route struct {
	Method  string
	Pattern string
}

// registerRoutes is the whole API at a glance. Everything under /v1 needs an
// API key (s.v1) except the policy schema; the rest is public and holds no
// personal data.
func (s *Server) registerRoutes() {
	s.handle("GET /healthz", http.HandlerFunc(handleHealthz))
	s.handle("GET /readyz", http.HandlerFunc(s.handleReadyz))
	s.handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	s.handle("GET /openapi.json", http.HandlerFunc(handleOpenAPI))
	s.handle("GET /v1/policy/schema", s.v1(handlePolicySchema))
	s.handle("GET /privacy/{tenant}", http.HandlerFunc(s.handleNotice))

	s.handle("POST /v1/subjects", s.v1(s.handleSubjectCreate))
	s.handle("GET /v1/subjects", s.v1(s.handleSubjectList))
	s.handle("POST /v1/subjects/lookup", s.v1(s.handleSubjectLookup))
	s.handle("GET /v1/subjects/{id}", s.v1(s.handleSubjectGet))
	s.handle("PATCH /v1/subjects/{id}", s.v1(s.handleSubjectUpdate))
	s.handle("DELETE /v1/subjects/{id}", s.v1(s.handleSubjectErase))

	s.handle("POST /v1/subjects/{id}/messages", s.v1(s.handleMessageCreate))
	s.handle("GET /v1/subjects/{id}/messages", s.v1(subjectList(s.cfg.Subjects, steward.SubjectService.Messages)))

	s.handle("GET /v1/policy", s.v1(s.handlePolicyGet))
	s.handle("PUT /v1/policy", s.v1(s.handlePolicyPut))
	s.handle("GET /v1/policy/versions", s.v1(s.handlePolicyVersions))
	s.handle("GET /v1/policy/diff", s.v1(s.handlePolicyDiff))
	s.handle("GET /v1/policy/disposals", s.v1(s.handlePolicyDisposals))

	s.handle("POST /v1/disclosures", s.v1(s.handleDisclosureCreate))
	s.handle("GET /v1/subjects/{id}/disclosures", s.v1(subjectList(s.cfg.Disclosures, policy.DisclosureStore.Disclosures)))
	s.handle("GET /v1/records-of-processing", s.v1(s.handleRecordsOfProcessing))

	s.handle("POST /v1/subjects/{id}/policy-acceptances", s.v1(s.handleAcceptanceCreate))
	s.handle("GET /v1/subjects/{id}/policy-acceptances", s.v1(subjectList(s.cfg.Acceptances, policy.AcceptanceStore.Acceptances)))
	s.handle("GET /v1/policy/acceptances", s.v1(s.handleLatestAcceptances))

	s.handle("GET /v1/audit", s.v1(s.handleAuditList))
	s.handle("GET /v1/audit/checkpoint", s.v1(s.handleAuditCheckpoint))
	s.handle("GET /v1/audit/proof/inclusion", s.v1(s.handleAuditInclusion))
	s.handle("GET /v1/audit/proof/consistency", s.v1(s.handleAuditConsistency))
}

// handle registers h for pattern ("METHOD /path") and records the route.
// The wrapper names the route for metrics and logs by its pattern, which is
// known only once the mux has matched.
func (s *Server) handle(pattern string, h http.Handler) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		panic("httpapi: route pattern without method: " + pattern)
	}
	s.routes = append(s.routes, Route{Method: method, Pattern: path})
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		state(r).route = r.Pattern
		h.ServeHTTP(w, r)
	}))
}

// Routes lists every registered route, in registration order.
func (s *Server) Routes() []Route {
	return slices.Clone(s.routes)
}
