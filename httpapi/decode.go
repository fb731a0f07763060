package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/stewardhq/steward"
	"github.com/stewardhq/steward/internal/jsoncodec"
)

// decode reads the request body and decodes it strictly into a T: JSON only,
// bounded in size, no unknown fields, exactly one object. Every error is a
// *steward.Error whose message never repeats what the client sent.
func decode[T any](w http.ResponseWriter, r *http.Request, s *Server) (T, error) {
	body, err := readBody(w, r, s.cfg.MaxBodyBytes)
	if err != nil {
		var zero T
		return zero, err
	}
	return decodeJSON[T](body)
}

// readBody checks the media type and reads the whole body, at most limit
// bytes of it. Handlers that need the raw bytes as well as the value (to
// fingerprint an idempotent request) call it and then decodeJSON.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if err := checkJSONMediaType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	if r.ContentLength > limit {
		return nil, errBodyTooLarge(limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errBodyTooLarge(limit)
		}
		return nil, steward.Errorf(steward.EInvalid, "", "the request body could not be read")
	}
	return body, nil
}

func errBodyTooLarge(limit int64) error {
	return steward.Errorf(steward.EBodyTooLarge, "", "the request body is larger than %d bytes", limit)
}

// checkJSONMediaType accepts application/json and any +json type (such as
// application/merge-patch+json), with at most a UTF-8 charset parameter:
// JSON is UTF-8 by definition and anything else would be misread.
func checkJSONMediaType(contentType string) error {
	unsupported := steward.Errorf(steward.EUnsupportedMedia, "Content-Type", "the request body must be JSON (Content-Type: application/json)")
	if contentType == "" {
		return unsupported
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return unsupported
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return unsupported
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return unsupported
	}
	return nil
}

// decodeJSON decodes body strictly into a T, mapping every failure to a
// domain error.
func decodeJSON[T any](body []byte) (T, error) {
	var v T
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return v, steward.Errorf(steward.EMalformedJSON, "", "the request body is empty")
	}
	if trimmed[0] != '{' && reflect.TypeFor[T]().Kind() == reflect.Struct {
		// null would decode as an empty object; say plainly what is expected.
		return v, steward.Errorf(steward.EInvalid, "", "the request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		var zero T
		return zero, jsonError(err)
	}
	// Token, unlike More, also rejects a stray closing bracket.
	if _, err := dec.Token(); err != io.EOF {
		var zero T
		return zero, steward.Errorf(steward.EMalformedJSON, "", "unexpected data after the JSON value")
	}
	return v, nil
}

// unknownFieldPrefix is how encoding/json reports a member that
// DisallowUnknownFields rejected; the package has no typed error for it.
const unknownFieldPrefix = `json: unknown field "`

// jsonError maps an encoding/json failure (possibly from a nested
// steward.Patch, which decodes its member with steward.DecodeStrict) to a
// domain error. Messages name fields and positions, never values.
func jsonError(err error) error {
	var (
		de  *steward.Error
		se  *json.SyntaxError
		ute *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &de):
		return de
	case errors.As(err, &se):
		return steward.Errorf(steward.EMalformedJSON, "", "the request body is not valid JSON (error at byte %d)", se.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return steward.Errorf(steward.EMalformedJSON, "", "the request body ends in the middle of a JSON value")
	case errors.As(err, &ute):
		return typeError(ute)
	case strings.HasPrefix(err.Error(), unknownFieldPrefix):
		name := strings.TrimSuffix(strings.TrimPrefix(err.Error(), unknownFieldPrefix), `"`)
		if !safeFieldName(name) {
			return steward.Errorf(steward.EUnknownField, "", "the request has a field this endpoint does not accept")
		}
		return steward.Errorf(steward.EUnknownField, name, "unknown field %q", name)
	default:
		// Left: errors from a value's own UnmarshalJSON, chiefly a timestamp
		// that is not RFC 3339. Their text quotes the input, so it is
		// replaced, not passed on.
		return steward.Errorf(steward.EInvalid, "", "a value has the wrong format (timestamps are RFC 3339, e.g. 2024-05-01T12:00:00Z)")
	}
}

// typeError describes a value of the wrong JSON type by the field's path
// and the expected type.
func typeError(ute *json.UnmarshalTypeError) error {
	field := ute.Field
	if !safeFieldName(field) {
		field = ""
	}
	want := "of another type"
	if ute.Type != nil {
		switch ute.Type.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Bool:
			want = "true or false"
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			want = "a whole number in range"
		case reflect.Float32, reflect.Float64:
			want = "a number"
		case reflect.Struct, reflect.Map:
			want = "an object"
		case reflect.Slice, reflect.Array:
			want = "an array"
		}
	}
	if field == "" {
		return steward.Errorf(steward.EInvalid, "", "a value must be %s", want)
	}
	return steward.Errorf(steward.EInvalid, field, "%s must be %s", field, want)
}

// safeFieldName reports whether a client-chosen member name is plain enough
// to repeat back: short, and only letters, digits and . _ -. A name is part
// of the schema, not a value, but a client could still put anything there.
func safeFieldName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// writeJSON answers v as JSON with the given status. It marshals first so a
// value that cannot be encoded never leaves a half-written answer. The
// encoder is jsoncodec's: encoding/json's output in less time.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsoncodec.Marshal(v)
	if err != nil {
		// Only a programming error gets here; the types sent are all plain.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
