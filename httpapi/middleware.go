package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/stewardhq/steward"
)

// requestState is what the layers of one request share: the outer
// ServeHTTP creates it, the route wrapper fills in the pattern and the error
// writer reads the id. It travels in the request context as a pointer so
// that layers which copy the request still share it.
type requestState struct {
	id    string
	route string // ServeMux pattern, or routeUnmatched.
}

type stateKey struct{}

// state returns the request's shared state; requests that did not pass
// through ServeHTTP (such as direct calls in tests) get a fresh one.
func state(r *http.Request) *requestState {
	if st, ok := r.Context().Value(stateKey{}).(*requestState); ok {
		return st
	}
	return &requestState{route: routeUnmatched}
}

// maxRequestIDLen bounds accepted request ids so a client cannot make log
// lines or audit entries arbitrarily long.
const maxRequestIDLen = 64

// requestID returns the caller's X-Request-Id when it is a safe token, so
// requests can be traced across systems, and a fresh id otherwise. Anything
// else is replaced rather than rejected: a bad tracing header should not
// fail a request.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); validRequestID(id) {
		return id
	}
	return steward.NewID("req")
}

func validRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// setCommonHeaders sets the headers every answer carries. API answers hold
// personal data, so no cache (browser or proxy) may keep them.
func setCommonHeaders(h http.Header, r *http.Request, id string) {
	h.Set("X-Request-Id", id)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == "/v1" || strings.HasPrefix(r.URL.Path, "/v1/") {
		h.Set("Cache-Control", "no-store")
	}
}

// responseWriter remembers the status so metrics, logs and panic recovery
// know what was sent.
type responseWriter struct {
	http.ResponseWriter
	status int
}

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *responseWriter) wroteHeader() bool { return w.status != 0 }

// code is the status sent, 200 when the handler wrote nothing.
func (w *responseWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// recoverPanic logs a handler panic once and answers 500 when nothing was
// sent yet. When part of an answer already went out it aborts the
// connection instead, so the client cannot mistake a truncated body for a
// whole one. Only runtime errors are logged with their text: any other
// panic value could carry a personal value, so only its type is logged.
func (s *Server) recoverPanic(w *responseWriter, r *http.Request, v any) {
	if v == http.ErrAbortHandler {
		panic(v)
	}
	st := state(r)
	var detail string
	if re, ok := v.(runtime.Error); ok {
		detail = re.Error()
	} else {
		detail = fmt.Sprintf("panic value of type %T", v)
	}
	s.log.Error("handler panic",
		slog.String("request_id", st.id),
		slog.String("route", st.route),
		slog.String("panic", detail),
		slog.String("stack", string(debug.Stack())))
	if w.wroteHeader() {
		panic(http.ErrAbortHandler)
	}
	s.writeErrorLogged(w, r, steward.Errorf(steward.EInternal, "", "internal error"))
}

// dispatch hands the request to the mux, answering unknown paths and wrong
// methods with the JSON error envelope instead of the mux's plain text.
// Asking the mux first with Handler keeps its own matching rules (method
// precedence, HEAD for GET, path cleaning) the single source of truth.
func (s *Server) dispatch(w *responseWriter, r *http.Request) {
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// The mux's own fallback tells 404 from 405 and names the allowed
	// methods; run it against a scratch writer and translate.
	probe := &probeWriter{header: http.Header{}}
	h.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.writeError(w, r, steward.Errorf(steward.EMethodNotAllowed, "", "this path does not accept the method; the Allow header lists those it does"))
	default:
		s.writeError(w, r, steward.Errorf(steward.ENotFound, "", "no such route"))
	}
}

// probeWriter captures what the mux's fallback handler would send.
type probeWriter struct {
	header http.Header
	status int
}

func (p *probeWriter) Header() http.Header { return p.header }
func (p *probeWriter) Write(b []byte) (int, error) {
	if p.status == 0 {
		p.status = http.StatusOK
	}
	return len(b), nil
}
func (p *probeWriter) WriteHeader(code int) {
	if p.status == 0 {
		p.status = code
	}
}
