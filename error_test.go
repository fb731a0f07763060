package steward_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stewardhq/steward"
)

func TestErrorAccessors(t *testing.T) {
	withField := steward.Errorf(steward.EInvalid, "email", "email must look like %s", "name@example.com")
	noField := steward.Errorf(steward.ENotFound, "", "subject not found")
	tests := []struct {
		name                 string
		err                  error
		code, message, field string
	}{
		{"DomainWithField", withField, steward.EInvalid, "email must look like name@example.com", "email"},
		{"DomainNoField", noField, steward.ENotFound, "subject not found", ""},
		{"DomainValue", &steward.Error{Code: steward.EConflict, Message: "taken", Field: "username"}, steward.EConflict, "taken", "username"},
		{"Wrapped", fmt.Errorf("create subject: %w", withField), steward.EInvalid, "email must look like name@example.com", "email"},
		{"WrappedTwice", fmt.Errorf("http: %w", fmt.Errorf("store: %w", noField)), steward.ENotFound, "subject not found", ""},
		{"Joined", errors.Join(errors.New("rollback failed"), noField), steward.ENotFound, "subject not found", ""},
		{"Plain", errors.New("disk on fire: /var/lib/steward"), steward.EInternal, "internal error", ""},
		{"FormattedNotWrapped", fmt.Errorf("store: %v", withField), steward.EInternal, "internal error", ""},
		{"WrappedPlain", fmt.Errorf("open: %w", errors.New("sql: no rows")), steward.EInternal, "internal error", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := steward.ErrorCode(tt.err); got != tt.code {
				t.Errorf("ErrorCode = %q, want %q", got, tt.code)
			}
			if got := steward.ErrorMessage(tt.err); got != tt.message {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.message)
			}
			if got := steward.ErrorField(tt.err); got != tt.field {
				t.Errorf("ErrorField = %q, want %q", got, tt.field)
			}
		})
	}
	if got := steward.ErrorCode(nil); got != "" {
		t.Errorf("ErrorCode(nil) = %q, want empty", got)
	}
	if got := steward.ErrorField(nil); got != "" {
		t.Errorf("ErrorField(nil) = %q, want empty", got)
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		err  *steward.Error
		want string
	}{
		{steward.Errorf(steward.EInvalid, "kind", "kind must be %d of %d", 1, 3), "steward: invalid: kind must be 1 of 3 (field kind)"},
		{steward.Errorf(steward.EGone, "", "erased"), "steward: gone: erased"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
