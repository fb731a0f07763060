package steward

import (
	"errors"
	"fmt"
)

// Error codes are stable strings clients can switch on. The HTTP adapter maps
// each to one status code in a single table.
const (
	EInternal            = "internal"
	EInvalid             = "invalid"
	EMalformedJSON       = "malformed_json"
	EUnknownField        = "unknown_field"
	EBodyTooLarge        = "body_too_large"
	EUnsupportedMedia    = "unsupported_media_type"
	ENotFound            = "not_found"
	EGone                = "gone"
	EConflict            = "conflict"
	EIdempotencyMismatch = "idempotency_key_reused"
	EUnauthorized        = "unauthorized"
	ERateLimited         = "rate_limited"
	EUnprocessable       = "unprocessable"
	EMethodNotAllowed    = "method_not_allowed"
	EUnavailable         = "unavailable"
)

// Error is a domain error: a stable code, a message a person understands and,
// when one input is at fault, the name of that field. Messages never contain
// personal values.
type Error struct {
	Code    string
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("steward: %s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("steward: %s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, or EInternal for errors that are not
// domain errors.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	}
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human message of a domain error, or a generic one
// for anything else so internal detail never reaches a client.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the field a domain error is about, if any.
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
