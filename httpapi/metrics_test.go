package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsLabels checks that route labels are patterns: after requests
// for a subject id (matched and unmatched routes alike) and with a made-up
// method, no label value holds the id or the method.
func TestMetricsLabels(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := MustServer(t, Config{Registry: reg})
	MustDo(t, s, "GET", "/v1/subjects/"+sampleSubjectID, "", nil)
	MustDo(t, s, "GET", "/v1/subjects/"+sampleSubjectID+"/messages", "", nil)
	MustDo(t, s, "GET", "/v1/elsewhere/"+sampleSubjectID, "", nil)
	MustDo(t, s, "GET", "/v1/subjects/sub_not-an-id", "", nil)
	MustDo(t, s, "BREW"+strings.Repeat("X", 20), "/v1/subjects/"+sampleSubjectID, "", nil)

	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	for _, fam := range families {
		if !strings.HasPrefix(fam.GetName(), "steward_http_") {
			continue
		}
		for _, m := range fam.GetMetric() {
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if strings.Contains(v, "sub_") || strings.Contains(v, "BREW") {
					t.Errorf("%s label %s=%q holds a request value", fam.GetName(), l.GetName(), v)
				}
				if l.GetName() == "route" {
					routes[v] = true
				}
			}
		}
	}
	for _, want := range []string{"GET /v1/subjects/{id}", "GET /v1/subjects/{id}/messages", routeUnmatched} {
		if !routes[want] {
			t.Errorf("no series for route %q; have %v", want, routes)
		}
	}

	w := MustDo(t, s, "GET", "/metrics", "", nil)
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `steward_http_requests_total{code="401",method="GET",route="GET /v1/subjects/{id}"}`) {
		t.Errorf("GET /metrics: %d\n%s", w.Code, w.Body)
	}
}

// TestMetricsSharedRegistry checks two servers can share one registry.
func TestMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	MustServer(t, Config{Registry: reg})
	MustServer(t, Config{Registry: reg})
}
