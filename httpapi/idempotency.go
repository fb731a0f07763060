package httpapi

import (
	"crypto/sha256"
	"net/http"

	"github.com/stewardhq/steward"
)

// maxIdempotencyKeyLen bounds Idempotency-Key headers.
const maxIdempotencyKeyLen = 255

// idempotencyKey returns the request's Idempotency-Key, "" when it has
// none. A key is 1-255 printable ASCII characters; anything else, or more
// than one such header, is refused rather than ignored, since ignoring it
// would silently turn a safe retry into a duplicate.
func idempotencyKey(r *http.Request) (string, error) {
	vals := r.Header.Values("Idempotency-Key")
	if len(vals) == 0 {
		return "", nil
	}
	bad := steward.Errorf(steward.EInvalid, "Idempotency-Key", "Idempotency-Key must be one header of 1-%d printable ASCII characters", maxIdempotencyKeyLen)
	if len(vals) > 1 {
		return "", bad
	}
	k := vals[0]
	if k == "" || len(k) > maxIdempotencyKeyLen {
		return "", bad
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", bad
		}
	}
	return k, nil
}

// idempotency describes a POST for the store's replay check: the key and a
// fingerprint of method, path and body, so reusing a key for a different
// request (another body, or another subject's path) is detected. It
// returns nil when the request has no key. The store keys and hashes both
// again itself before storing them.
func idempotency(r *http.Request, key string, body []byte) *steward.Idempotency {
	if key == "" {
		return nil
	}
	h := sha256.New()
	h.Write([]byte(r.Method + "\n" + r.URL.Path + "\n"))
	h.Write(body)
	return &steward.Idempotency{Key: key, Fingerprint: h.Sum(nil)}
}

// decodeIdempotent reads a POST body once, decodes it strictly into T and
// returns, with it, the request's Idempotency-Key description (nil without
// a key) fingerprinting that very body.
func decodeIdempotent[T any](w http.ResponseWriter, r *http.Request, s *Server) (T, *steward.Idempotency, error) {
	var zero T
	key, err := idempotencyKey(r)
	if err != nil {
		return zero, nil, err
	}
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		return zero, nil, err
	}
	in, err := decodeJSON[T](body)
	if err != nil {
		return zero, nil, err
	}
	return in, idempotency(r, key, body), nil
}

// markReplay tells the client that the answer is the stored result of an
// earlier request with the same Idempotency-Key.
func markReplay(w http.ResponseWriter, replayed bool) {
	if replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
}
