package httpapi

import (
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"strings"

	"github.com/stewardhq/steward"
)

// apiFunc is a /v1 handler: it runs only for an authenticated caller, gets
// the actor to pass to the services and returns its error instead of writing
// it, so every error is answered the same way.
type apiFunc func(w http.ResponseWriter, r *http.Request, a steward.Actor) error

// maxTokenLen bounds bearer tokens so a client cannot make the store hash
// megabytes per guess.
const maxTokenLen = 512

// errUnauthorized is the one answer to every authentication failure, so a
// caller learns nothing about why a token was refused.
func errUnauthorized() error {
	return steward.Errorf(steward.EUnauthorized, "", "a valid API key is required (Authorization: Bearer <key>)")
}

// v1 wraps an API handler with authentication, per-key rate limiting and
// the caller's stated purpose. The tenant comes only from the API key.
func (s *Server) v1(h apiFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := s.authenticate(w, r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := s.limitKey(w, key.ID); err != nil {
			s.writeError(w, r, err)
			return
		}
		purpose, err := purposeOf(r)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		a := steward.Actor{TenantID: key.TenantID, KeyID: key.ID, RequestID: state(r).id, Purpose: purpose}
		if err := h(w, r, a); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate resolves the bearer token to a live API key. A client
// address that has failed too often is refused before its token is even
// looked at, which is what makes guessing keys slow.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*steward.APIKey, error) {
	ip := clientAddr(r)
	now := s.now()
	if wait, ok := s.authFailures.wouldAllow(ip, now); !ok {
		setRetryAfter(w, wait)
		return nil, steward.Errorf(steward.ERateLimited, "", "too many failed authentications; retry later")
	}
	token, ok := bearerToken(r)
	if !ok {
		s.authFailures.take(ip, now)
		return nil, errUnauthorized()
	}
	if s.cfg.Tenants == nil {
		return nil, steward.Errorf(steward.EInternal, "", "no tenant service configured")
	}
	key, err := s.cfg.Tenants.Authenticate(r.Context(), token)
	if err != nil {
		if steward.ErrorCode(err) == steward.EUnauthorized {
			s.authFailures.take(ip, now)
			return nil, errUnauthorized()
		}
		// The store failed; that is not the caller's failure to count.
		return nil, err
	}
	if key == nil || key.TenantID == "" {
		return nil, steward.Errorf(steward.EInternal, "", "authentication returned no tenant")
	}
	return key, nil
}

// bearerToken extracts the token of a single "Authorization: Bearer <token>"
// header. The scheme is case-insensitive (RFC 9110); the token may not
// contain spaces.
func bearerToken(r *http.Request) (string, bool) {
	vals := r.Header.Values("Authorization")
	if len(vals) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimLeft(token, " ")
	if token == "" || len(token) > maxTokenLen || strings.ContainsAny(token, " \t") {
		return "", false
	}
	return token, true
}

// clientAddr names the client for failure throttling: its IP address, or
// for IPv6 its /64, since one host commonly holds a whole /64. It uses the
// connection's address only; forwarded headers are not trusted because
// anyone can send them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}

var purposeRE = regexp.MustCompile(`^[a-z0-9._-]{1,64}$`)

// purposeOf returns the caller's stated purpose from X-Purpose, or failing
// that the purpose query parameter. It is recorded in audit entries, so it
// is held to a short vocabulary-like shape and can carry no personal value.
func purposeOf(r *http.Request) (string, error) {
	field := "X-Purpose"
	p := r.Header.Get("X-Purpose")
	if p == "" {
		field = "purpose"
		p = r.URL.Query().Get("purpose")
	}
	if p == "" {
		return "", nil
	}
	if !purposeRE.MatchString(p) {
		return "", steward.Errorf(steward.EInvalid, field, "purpose must be 1-64 characters of a-z, 0-9, '.', '_' and '-'")
	}
	return p, nil
}
