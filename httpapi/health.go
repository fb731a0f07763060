package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/stewardhq/steward"
)

// statusResponse is the body of the health and readiness answers.
type statusResponse struct {
	Status string `json:"status"`
}

// handleHealthz says the process is up. It checks nothing else, so an
// orchestrator restarts the process only when it truly hangs.
func handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
}

// handleReadyz says whether the server can serve now, e.g. whether the
// store answers, so a load balancer stops sending traffic while it cannot.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(r.Context()); err != nil {
			s.log.Warn("not ready", slog.String("request_id", state(r).id), slog.String("err", err.Error()))
			s.writeError(w, r, steward.Errorf(steward.EUnavailable, "", "the service is not ready"))
			return
		}
	}
	writeJSON(w, http.StatusOK, statusResponse{Status: "ok"})
}
