package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/policy"
)

// statusByCode is the one table from domain error codes to HTTP statuses.
// A code missing here is a bug in a lower layer and answers as internal.
var statusByCode = map[string]int{
	steward.EInvalid:             http.StatusBadRequest,
	steward.EMalformedJSON:       http.StatusBadRequest,
	steward.EUnknownField:        http.StatusBadRequest,
	steward.EUnauthorized:        http.StatusUnauthorized,
	steward.ENotFound:            http.StatusNotFound,
	steward.EMethodNotAllowed:    http.StatusMethodNotAllowed,
	steward.EConflict:            http.StatusConflict,
	steward.EGone:                http.StatusGone,
	steward.EBodyTooLarge:        http.StatusRequestEntityTooLarge,
	steward.EUnsupportedMedia:    http.StatusUnsupportedMediaType,
	steward.EIdempotencyMismatch: http.StatusUnprocessableEntity,
	steward.EUnprocessable:       http.StatusUnprocessableEntity,
	steward.ERateLimited:         http.StatusTooManyRequests,
	steward.EUnavailable:         http.StatusServiceUnavailable,
	steward.EInternal:            http.StatusInternalServerError,
}

// ErrorResponse is the envelope of every error answer.
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the content of an error answer.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Problems lists every problem of a refused policy document, each
	// named by its path; Field is the first one's path.
	Problems []policy.Problem `json:"problems,omitempty"`
}

// writeError answers err. Domain errors keep their code, message and field;
// anything else is logged here, once, and answers as an internal error whose
// message carries only the request id, so storage and crypto detail never
// reach the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.respondError(w, r, err, false)
}

// writeErrorLogged answers err without logging it, for callers that already
// logged the failure themselves.
func (s *Server) writeErrorLogged(w http.ResponseWriter, r *http.Request, err error) {
	s.respondError(w, r, err, true)
}

func (s *Server) respondError(w http.ResponseWriter, r *http.Request, err error, logged bool) {
	st := state(r)
	code := steward.ErrorCode(err)
	status, known := statusByCode[code]
	body := ErrorBody{Code: code, Message: steward.ErrorMessage(err), Field: steward.ErrorField(err)}
	var ps policy.Problems
	if errors.As(err, &ps) {
		body.Problems = ps
	}
	if !known || code == steward.EInternal {
		if !logged {
			s.logInternal(r, err)
		}
		status = http.StatusInternalServerError
		body = ErrorBody{Code: steward.EInternal, Message: fmt.Sprintf("internal error (request id %s)", st.id)}
	}
	h := w.Header()
	switch status {
	case http.StatusUnauthorized:
		if h.Get("WWW-Authenticate") == "" {
			h.Set("WWW-Authenticate", `Bearer realm="steward"`)
		}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if h.Get("Retry-After") == "" {
			h.Set("Retry-After", "1")
		}
	}
	writeJSON(w, status, ErrorResponse{Error: body})
}

// logInternal logs a non-domain error with the request id, so the message
// the client got can be matched with the detail. Lower layers promise their
// errors carry no personal values; the request's path and query, which can,
// are never logged, only the route pattern.
func (s *Server) logInternal(r *http.Request, err error) {
	st := state(r)
	level := slog.LevelError
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads the answer and nothing broke.
		level = slog.LevelDebug
	}
	s.log.Log(r.Context(), level, "request failed",
		slog.String("request_id", st.id),
		slog.String("route", st.route),
		slog.String("err", err.Error()))
}
