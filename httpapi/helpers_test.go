package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stewardhq/steward"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// MustServer builds a Server without services: enough for everything that
// is answered before a service is asked (routing, auth failures, decoding).
// Tests against the real store live with the end-to-end suite.
func MustServer(tb testing.TB, cfg Config) *Server {
	tb.Helper()
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return testNow }
	}
	return NewServer(cfg)
}

// MustDo sends a request through s and returns the recorded answer.
func MustDo(tb testing.TB, s http.Handler, method, target string, body string, header http.Header) *httptest.ResponseRecorder {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for k, vs := range header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// MustErrorBody decodes an error answer, failing unless it is the JSON
// error envelope.
func MustErrorBody(tb testing.TB, w *httptest.ResponseRecorder) ErrorBody {
	tb.Helper()
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		tb.Fatalf("Content-Type = %q, want JSON", ct)
	}
	var env ErrorResponse
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&env); err != nil {
		tb.Fatalf("error body is not the envelope: %v", err)
	}
	if env.Error.Code == "" || env.Error.Message == "" {
		tb.Fatalf("error envelope lacks code or message: %+v", env.Error)
	}
	return env.Error
}

// sampleSubjectID is a well-formed subject id no store holds.
const sampleSubjectID = "sub_0123456789abcdefghijklmnop"

func init() {
	if !steward.ValidID("sub", sampleSubjectID) {
		panic("sampleSubjectID is not a valid id")
	}
}
