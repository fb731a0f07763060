package httpapi

import (
	"net/http"

	"github.com/stewardhq/steward"
)

// handleMessageCreate records one message of a subject's conversation. The
// Idempotency-Key fingerprint covers the path, so reusing a key for another
// subject is refused rather than replayed.
func (s *Server) handleMessageCreate(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	id, err := subjectID(r)
	if err != nil {
		return err
	}
	in, idem, err := decodeIdempotent[steward.MessageInput](w, r, s)
	if err != nil {
		return err
	}
	msg, err := in.Message(id, s.now())
	if err != nil {
		return err
	}
	msg, replayed, err := s.cfg.Subjects.AddMessage(r.Context(), a, msg, idem)
	if err != nil {
		return err
	}
	markReplay(w, replayed)
	writeJSON(w, http.StatusCreated, msg)
	return nil
}
