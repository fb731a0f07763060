package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stewardhq/steward"
)

// TestClientErrors checks that a server's error answer reaches the caller
// as a *StatusError that unwraps to the domain error. The server has no
// services, so only answers given before one is asked are exercised here;
// the end-to-end suite covers the rest against the real store.
func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(MustServer(t, Config{}))
	defer srv.Close()
	ctx := context.Background()

	t.Run("ErrUnauthorized", func(t *testing.T) {
		c := NewClient(srv.URL+"/", "", srv.Client())
		_, err := c.Subject(ctx, sampleSubjectID)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusUnauthorized || se.RequestID == "" {
			t.Fatalf("err = %v, want a 401 StatusError with a request id", err)
		}
		var de *steward.Error
		if !errors.As(err, &de) || de.Code != steward.EUnauthorized {
			t.Fatalf("err = %v, want to unwrap to an unauthorized *steward.Error", err)
		}
		if steward.ErrorCode(err) != steward.EUnauthorized {
			t.Errorf("ErrorCode = %q", steward.ErrorCode(err))
		}
	})
	t.Run("ErrBadBaseURL", func(t *testing.T) {
		c := NewClient("not a url", "t", nil)
		if _, err := c.Subject(ctx, sampleSubjectID); err == nil {
			t.Fatal("want an error for a relative base URL")
		}
	})
	t.Run("ErrNoEnvelope", func(t *testing.T) {
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}))
		defer plain.Close()
		_, err := NewClient(plain.URL, "t", nil).Checkpoint(ctx)
		var se *StatusError
		if !errors.As(err, &se) || se.Status != http.StatusBadGateway || se.Err.Code != steward.EInternal {
			t.Fatalf("err = %v", err)
		}
	})
}
