package httpapi

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	s := MustServer(t, Config{})
	t.Run("OK", func(t *testing.T) {
		w := MustDo(t, s, "GET", "/healthz", "", http.Header{"X-Request-Id": {"trace.abc-123_X"}})
		if got := w.Header().Get("X-Request-Id"); got != "trace.abc-123_X" {
			t.Errorf("X-Request-Id = %q, want the caller's", got)
		}
	})
	t.Run("Generated", func(t *testing.T) {
		a := MustDo(t, s, "GET", "/healthz", "", nil).Header().Get("X-Request-Id")
		b := MustDo(t, s, "GET", "/healthz", "", nil).Header().Get("X-Request-Id")
		if !strings.HasPrefix(a, "req_") || !validRequestID(a) || a == b {
			t.Errorf("generated ids %q, %q: want distinct valid req_ ids", a, b)
		}
	})
	for name, bad := range map[string]string{
		"ErrTooLong": strings.Repeat("a", 65),
		"ErrSpace":   "a b",
		"ErrNewline": "a\nb",
		"ErrUnicode": "ä",
		"ErrSlash":   "a/b",
	} {
		t.Run(name, func(t *testing.T) {
			w := MustDo(t, s, "GET", "/nowhere", "", http.Header{"X-Request-Id": {bad}})
			got := w.Header().Get("X-Request-Id")
			if got == bad || !strings.HasPrefix(got, "req_") {
				t.Errorf("X-Request-Id = %q, want a generated one", got)
			}
		})
	}
	t.Run("InInternalError", func(t *testing.T) {
		var logs bytes.Buffer
		s := MustServer(t, Config{
			Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
			Ready:  func(context.Context) error { panic("boom with a value") },
		})
		w := MustDo(t, s, "GET", "/readyz", "", http.Header{"X-Request-Id": {"rid-42"}})
		if w.Code != http.StatusInternalServerError {
			t.Fatalf("status = %d, want 500", w.Code)
		}
		b := MustErrorBody(t, w)
		if b.Code != "internal" || b.Message != "internal error (request id rid-42)" {
			t.Errorf("error = %+v", b)
		}
		if n := strings.Count(logs.String(), "rid-42"); n != 1 {
			t.Errorf("request id logged %d times, want once:\n%s", n, logs.String())
		}
		if strings.Contains(logs.String(), "boom with a value") {
			t.Error("the panic value was logged; it could hold a personal value")
		}
	})
}

func TestRouting(t *testing.T) {
	s := MustServer(t, Config{})
	t.Run("Healthz", func(t *testing.T) {
		w := MustDo(t, s, "GET", "/healthz", "", nil)
		if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"status":"ok"}` {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		for _, path := range []string{"/nowhere", "/v1/nothing", "/v1/subjects/", "/v1/subjects/" + sampleSubjectID + "/x"} {
			w := MustDo(t, s, "GET", path, "", nil)
			if w.Code != http.StatusNotFound || MustErrorBody(t, w).Code != "not_found" {
				t.Errorf("GET %s: %d %s", path, w.Code, w.Body)
			}
		}
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		w := MustDo(t, s, "PUT", "/v1/subjects/"+sampleSubjectID, "", nil)
		if w.Code != http.StatusMethodNotAllowed || MustErrorBody(t, w).Code != "method_not_allowed" {
			t.Fatalf("got %d %s", w.Code, w.Body)
		}
		allow := w.Header().Get("Allow")
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if !strings.Contains(allow, m) {
				t.Errorf("Allow = %q, lacks %s", allow, m)
			}
		}
	})
	t.Run("SecurityHeaders", func(t *testing.T) {
		w := MustDo(t, s, "GET", "/v1/subjects", "", nil)
		if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers = %v", w.Header())
		}
		w = MustDo(t, s, "GET", "/healthz", "", nil)
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("headers = %v", w.Header())
		}
	})
}

func TestReadyz(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := MustServer(t, Config{Ready: func(context.Context) error { return nil }})
		if w := MustDo(t, s, "GET", "/readyz", "", nil); w.Code != http.StatusOK {
			t.Errorf("status = %d", w.Code)
		}
	})
	t.Run("ErrUnavailable", func(t *testing.T) {
		s := MustServer(t, Config{Ready: func(context.Context) error { return errors.New("store down") }})
		w := MustDo(t, s, "GET", "/readyz", "", nil)
		if w.Code != http.StatusServiceUnavailable || MustErrorBody(t, w).Code != "unavailable" {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
}

func TestAuth(t *testing.T) {
	s := MustServer(t, Config{})
	for name, auth := range map[string][]string{
		"ErrMissing":      nil,
		"ErrBasic":        {"Basic dXNlcjpwYXNz"},
		"ErrEmptyBearer":  {"Bearer "},
		"ErrTwoTokens":    {"Bearer a b"},
		"ErrTwoHeaders":   {"Bearer a", "Bearer b"},
		"ErrHugeToken":    {"Bearer " + strings.Repeat("k", maxTokenLen+1)},
		"ErrSchemeNoText": {"Bearer"},
	} {
		t.Run(name, func(t *testing.T) {
			w := MustDo(t, s, "GET", "/v1/subjects/"+sampleSubjectID, "", http.Header{"Authorization": auth})
			if w.Code != http.StatusUnauthorized || MustErrorBody(t, w).Code != "unauthorized" {
				t.Fatalf("got %d %s", w.Code, w.Body)
			}
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	t.Run("OKTokenParsing", func(t *testing.T) {
		r, _ := http.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "bearer  stw_abc")
		if tok, ok := bearerToken(r); !ok || tok != "stw_abc" {
			t.Errorf("bearerToken = %q, %v", tok, ok)
		}
	})
}

// TestAuthFailureLimit checks that an address which keeps failing is
// refused with 429 before its token is looked at, and that other addresses
// are not affected.
func TestAuthFailureLimit(t *testing.T) {
	s := MustServer(t, Config{AuthFailureLimit: 1, AuthFailureBurst: 3})
	do := func(addr string) int {
		r, _ := http.NewRequest("GET", "/v1/subjects", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 3 {
		if code := do("192.0.2.1:1000"); code != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, code)
		}
	}
	r, _ := http.NewRequest("GET", "/v1/subjects", nil)
	r.RemoteAddr = "192.0.2.1:2000"
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusTooManyRequests || MustErrorBody(t, w).Code != "rate_limited" {
		t.Fatalf("after the burst: %d, want 429", w.Code)
	}
	if w.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	if code := do("192.0.2.2:1000"); code != http.StatusUnauthorized {
		t.Errorf("another address: %d, want 401", code)
	}
	// IPv6 addresses in one /64 share a bucket.
	for i := range 3 {
		do("[2001:db8::" + string(rune('1'+i)) + "]:1")
	}
	if code := do("[2001:db8::99]:1"); code != http.StatusTooManyRequests {
		t.Errorf("same /64: %d, want 429", code)
	}
}

func TestPurpose(t *testing.T) {
	for name, tc := range map[string]struct {
		header, query, want string
		ok                  bool
	}{
		"OKNone":       {"", "", "", true},
		"OKHeader":     {"support.ticket-7", "", "support.ticket-7", true},
		"OKQuery":      {"", "billing", "billing", true},
		"OKHeaderWins": {"support", "billing", "support", true},
		"ErrUpper":     {"Support", "", "", false},
		"ErrSpace":     {"a b", "", "", false},
		"ErrLong":      {strings.Repeat("p", 65), "", "", false},
	} {
		t.Run(name, func(t *testing.T) {
			r, _ := http.NewRequest("GET", "/v1/subjects?purpose="+tc.query, nil)
			if tc.header != "" {
				r.Header.Set("X-Purpose", tc.header)
			}
			got, err := purposeOf(r)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("purposeOf = %q, %v", got, err)
			}
		})
	}
}

func TestIdempotencyKey(t *testing.T) {
	for name, tc := range map[string]struct {
		vals []string
		ok   bool
	}{
		"OKNone":      {nil, true},
		"OK":          {[]string{"order-42/retry 1"}, true},
		"OKMax":       {[]string{strings.Repeat("k", 255)}, true},
		"ErrEmpty":    {[]string{""}, false},
		"ErrLong":     {[]string{strings.Repeat("k", 256)}, false},
		"ErrControl":  {[]string{"a\x01b"}, false},
		"ErrNonASCII": {[]string{"clé"}, false},
		"ErrTwo":      {[]string{"a", "b"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "/v1/subjects", nil)
			r.Header["Idempotency-Key"] = tc.vals
			_, err := idempotencyKey(r)
			if (err == nil) != tc.ok {
				t.Errorf("err = %v", err)
			}
		})
	}
	t.Run("FingerprintCoversPathAndBody", func(t *testing.T) {
		a, _ := http.NewRequest("POST", "/v1/subjects/"+sampleSubjectID+"/messages", nil)
		b, _ := http.NewRequest("POST", "/v1/subjects/sub_00000000000000000000000000/messages", nil)
		fa := idempotency(a, "k", []byte(`{}`)).Fingerprint
		if bytes.Equal(fa, idempotency(b, "k", []byte(`{}`)).Fingerprint) {
			t.Error("same fingerprint for different paths")
		}
		if bytes.Equal(fa, idempotency(a, "k", []byte(`{ }`)).Fingerprint) {
			t.Error("same fingerprint for different bodies")
		}
		if idempotency(a, "", nil) != nil {
			t.Error("no key should mean no idempotency")
		}
	})
}

func TestPrefersText(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                 false,
		"text/plain":                       true,
		"text/plain; charset=utf-8":        true,
		"application/json":                 false,
		"application/json, text/plain":     false,
		"text/plain;q=0, application/json": false,
		"*/*":                              false,
	} {
		if got := prefersText(accept); got != want {
			t.Errorf("prefersText(%q) = %v", accept, got)
		}
	}
}
