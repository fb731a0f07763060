package httpapi

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/notice"
)

// handleNotice serves a tenant's privacy notice, rendered from the policy
// version in force, as HTML at /privacy/{tenant} and as Markdown at
// /privacy/{tenant}.md. A scheduled version is announced with its date. It
// is public: the notice is what the tenant's users are meant to read. An
// unknown tenant answers 404 and nothing else.
//
// ServeMux cannot match a wildcard followed by a suffix in one segment, so
// the one route takes both forms and the suffix picks the format.
func (s *Server) handleNotice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("tenant")
	id, markdown := strings.CutSuffix(id, ".md")
	if err := s.renderNotice(w, r, id, markdown); err != nil {
		s.writeError(w, r, err)
	}
}

func (s *Server) renderNotice(w http.ResponseWriter, r *http.Request, tenantID string, markdown bool) error {
	if !steward.ValidID("ten", tenantID) {
		return errTenantNotFound()
	}
	key := noticeKey{tenantID, markdown}
	now := s.now()
	if n, ok := s.notices.get(key, now); ok {
		writeNotice(w, n)
		return nil
	}
	ctx := r.Context()
	ten, err := s.cfg.Tenants.Tenant(ctx, tenantID)
	if steward.ErrorCode(err) == steward.ENotFound {
		return errTenantNotFound()
	}
	if err != nil {
		return err
	}
	cur, err := s.cfg.Policy.PolicyInForce(ctx, tenantID, now)
	if err != nil {
		return err
	}
	next, err := s.cfg.Policy.UpcomingPolicy(ctx, tenantID, now)
	if err != nil {
		return err
	}
	opts := notice.Options{TenantName: ten.Name, Version: cur.Version, EffectiveAt: cur.EffectiveAt}
	expires := now.Add(noticeTTL)
	if next != nil {
		opts.Upcoming = &notice.Upcoming{Version: next.Version, EffectiveAt: next.EffectiveAt}
		if next.EffectiveAt.Before(expires) {
			expires = next.EffectiveAt // The page changes then.
		}
	}
	render, contentType := notice.RenderHTML, "text/html; charset=utf-8"
	if markdown {
		render, contentType = notice.RenderMarkdown, "text/markdown; charset=utf-8"
	}
	// Render fully before answering, so a failure answers 500 rather than
	// half a page.
	var buf bytes.Buffer
	if err := render(&buf, cur.Document, opts); err != nil {
		return err
	}
	n := renderedNotice{body: buf.Bytes(), contentType: contentType, expires: expires}
	s.notices.put(key, n)
	writeNotice(w, n)
	return nil
}

func writeNotice(w http.ResponseWriter, n renderedNotice) {
	w.Header().Set("Content-Type", n.contentType)
	w.WriteHeader(http.StatusOK)
	w.Write(n.body)
}

func errTenantNotFound() error {
	return steward.Errorf(steward.ENotFound, "", "there is no privacy notice here")
}
