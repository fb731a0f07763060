package httpapi

import (
	"net/http"

	"github.com/stewardhq/steward"
)

// handleSubjectCreate validates and stores a new subject. With an
// Idempotency-Key a retry answers the first result, marked as a replay.
func (s *Server) handleSubjectCreate(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	in, idem, err := decodeIdempotent[steward.SubjectInput](w, r, s)
	if err != nil {
		return err
	}
	sub, err := in.Subject(s.now())
	if err != nil {
		return err
	}
	sub, replayed, err := s.cfg.Subjects.CreateSubject(r.Context(), a, sub, idem)
	if err != nil {
		return err
	}
	markReplay(w, replayed)
	w.Header().Set("Location", "/v1/subjects/"+sub.ID)
	writeJSON(w, http.StatusCreated, sub)
	return nil
}

// handleSubjectList lists subjects page by page or, given ?email= or
// ?username=, looks one up exactly. A lookup answers a list of zero or one
// subjects, so "not there" is not an error and both uses share one shape.
func (s *Server) handleSubjectList(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	q := r.URL.Query()
	byEmail, byUsername := q.Has("email"), q.Has("username")
	if !byEmail && !byUsername {
		p, err := pageOf(r)
		if err != nil {
			return err
		}
		subs, next, err := s.cfg.Subjects.Subjects(r.Context(), a, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newList(subs, next))
		return nil
	}
	if byEmail && byUsername {
		return steward.Errorf(steward.EInvalid, "", "look a subject up by email or by username, not both")
	}
	if q.Has("limit") || q.Has("after") {
		return steward.Errorf(steward.EInvalid, "", "a lookup by email or username takes no limit or after")
	}
	return s.lookupSubject(w, r, a, q.Get("email"), q.Get("username"), byEmail)
}

// lookupRequest is the body of POST /v1/subjects/lookup.
type lookupRequest struct {
	Email    *string `json:"email,omitempty"`
	Username *string `json:"username,omitempty"`
}

// handleSubjectLookup is the exact lookup with the value in the body rather
// than the URL, where proxies and access logs would keep it.
func (s *Server) handleSubjectLookup(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	in, err := decode[lookupRequest](w, r, s)
	if err != nil {
		return err
	}
	if (in.Email == nil) == (in.Username == nil) {
		return steward.Errorf(steward.EInvalid, "", "give exactly one of email or username")
	}
	if in.Email != nil {
		return s.lookupSubject(w, r, a, *in.Email, "", true)
	}
	return s.lookupSubject(w, r, a, "", *in.Username, false)
}

// lookupSubject answers a list of zero or one subjects: "not there" is not
// an error, so both lookups and listings share one shape.
func (s *Server) lookupSubject(w http.ResponseWriter, r *http.Request, a steward.Actor, email, username string, byEmail bool) error {
	var by steward.SubjectLookup
	var err error
	if byEmail {
		by.Email, err = steward.NormalizeEmail(email)
	} else {
		by.Username, err = steward.NormalizeUsername(username)
	}
	if err != nil {
		return err
	}
	sub, err := s.cfg.Subjects.FindSubject(r.Context(), a, by)
	switch {
	case steward.ErrorCode(err) == steward.ENotFound:
		writeJSON(w, http.StatusOK, newList[*steward.Subject](nil, ""))
		return nil
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, newList([]*steward.Subject{sub}, ""))
	return nil
}

// handleSubjectGet answers one subject.
func (s *Server) handleSubjectGet(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	id, err := subjectID(r)
	if err != nil {
		return err
	}
	sub, err := s.cfg.Subjects.Subject(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sub)
	return nil
}

// handleSubjectUpdate applies a JSON merge patch. The store validates it
// against the stored subject inside its transaction, so an invalid patch
// changes nothing.
func (s *Server) handleSubjectUpdate(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	id, err := subjectID(r)
	if err != nil {
		return err
	}
	patch, err := decode[steward.SubjectPatch](w, r, s)
	if err != nil {
		return err
	}
	sub, err := s.cfg.Subjects.UpdateSubject(r.Context(), a, id, &patch)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sub)
	return nil
}

// handleSubjectErase destroys a subject's data and answers the receipt.
func (s *Server) handleSubjectErase(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
	id, err := subjectID(r)
	if err != nil {
		return err
	}
	receipt, err := s.cfg.Subjects.EraseSubject(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, receipt)
	return nil
}
