package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/stewardhq/steward"
)

// listResponse is the body of every paginated listing. Next is the cursor
// for the following page, empty on the last one.
type listResponse[T any] struct {
	Data []T    `json:"data"`
	Next string `json:"next"`
}

// newList makes a listing body whose data is [] rather than null when empty.
func newList[T any](data []T, next string) listResponse[T] {
	if data == nil {
		data = []T{}
	}
	return listResponse[T]{Data: data, Next: next}
}

// subjectID returns the {id} path value when it has the shape of a subject
// id. A malformed id answers not_found exactly like an unknown one, and
// never reaches storage.
func subjectID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if !steward.ValidID("sub", id) {
		return "", errSubjectNotFound()
	}
	return id, nil
}

// errSubjectNotFound repeats, word for word, the store's answer for an id it
// does not hold, so a malformed id cannot be told from an unknown one.
func errSubjectNotFound() error {
	return steward.Errorf(steward.ENotFound, "id", "no subject with this id")
}

// pageOf reads the limit and after query parameters and applies the
// domain's bounds.
func pageOf(r *http.Request) (steward.Page, error) {
	q := r.URL.Query()
	var p steward.Page
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, steward.Errorf(steward.EInvalid, "limit", "limit must be a whole number between 1 and %d", steward.MaxPageLimit)
		}
		if n == 0 {
			// Zero means "default" to the domain; a client saying 0 means
			// something else, so it is out of range.
			return p, steward.Errorf(steward.EInvalid, "limit", "limit must be between 1 and %d", steward.MaxPageLimit)
		}
		p.Limit = n
	}
	p.After = q.Get("after")
	return p.Normalize()
}

// int64Param reads a required (or, with def >= 0, optional) non-negative
// integer query parameter.
func int64Param(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		if def >= 0 {
			return def, nil
		}
		return 0, steward.Errorf(steward.EInvalid, name, "%s is required", name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, steward.Errorf(steward.EInvalid, name, "%s must be a non-negative whole number", name)
	}
	return n, nil
}

// subjectPageFunc reads one page of something a subject owns; it is a
// method expression of the service S, so a server built without that
// service registers its routes and fails only if one is called.
type subjectPageFunc[S, T any] func(svc S, ctx context.Context, a steward.Actor, subjectID string, p steward.Page) ([]T, string, error)

// subjectList answers GET /v1/subjects/{id}/… listings (messages,
// disclosures, policy acceptances) the same way: the id checked like every
// subject route, one page, {"data", "next"}.
func subjectList[S, T any](svc S, list subjectPageFunc[S, T]) apiFunc {
	return func(w http.ResponseWriter, r *http.Request, a steward.Actor) error {
		id, err := subjectID(r)
		if err != nil {
			return err
		}
		p, err := pageOf(r)
		if err != nil {
			return err
		}
		items, next, err := list(svc, r.Context(), a, id, p)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newList(items, next))
		return nil
	}
}
