package steward_test

import (
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

func TestPageNormalize(t *testing.T) {
	tests := []struct {
		name     string
		in       steward.Page
		limit    int
		errField string
	}{
		{"Default", steward.Page{}, steward.DefaultPageLimit, ""},
		{"One", steward.Page{Limit: 1}, 1, ""},
		{"Max", steward.Page{Limit: steward.MaxPageLimit, After: strings.Repeat("c", 128)}, steward.MaxPageLimit, ""},
		{"OverMax", steward.Page{Limit: steward.MaxPageLimit + 1}, 0, "limit"},
		{"Negative", steward.Page{Limit: -1}, 0, "limit"},
		{"LongCursor", steward.Page{After: strings.Repeat("c", 129)}, 0, "after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.in.Normalize()
			if tt.errField != "" {
				mustInvalid(t, err, tt.errField)
				return
			}
			if err != nil || p.Limit != tt.limit || p.After != tt.in.After {
				t.Errorf("Normalize(%+v) = %+v, %v; want limit %d", tt.in, p, err, tt.limit)
			}
		})
	}
}

func TestPageNormalizeIDCursor(t *testing.T) {
	msg := steward.NewID("msg")
	tests := []struct {
		name     string
		in       steward.Page
		errField string
	}{
		{"NoCursor", steward.Page{}, ""},
		{"OwnKind", steward.Page{After: msg}, ""},
		{"OtherKind", steward.Page{After: steward.NewID("sub")}, "after"},
		{"NotAnID", steward.Page{After: "msg_x"}, "after"},
		{"BadLimit", steward.Page{After: msg, Limit: -1}, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.in.NormalizeIDCursor("msg")
			if tt.errField != "" {
				mustInvalid(t, err, tt.errField)
				return
			}
			if err != nil || p.After != tt.in.After || p.Limit != steward.DefaultPageLimit {
				t.Errorf("NormalizeIDCursor(%+v) = %+v, %v", tt.in, p, err)
			}
		})
	}
}

func TestValidateTenantName(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"OK", "  Acme GmbH ", "Acme GmbH", false},
		{"NFC", "Cafe\u0301 Ltd", "Caf\u00e9 Ltd", false},
		{"Max", strings.Repeat("x", 200), strings.Repeat("x", 200), false},
		{"Empty", "", "", true},
		{"Blank", " \t", "", true},
		{"TooLong", strings.Repeat("x", 201), "", true},
		{"Newline", "Acme\nEvil", "", true},
		{"Bidi", "Acme\u202e", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := steward.ValidateTenantName(tt.in)
			if tt.wantErr {
				mustInvalid(t, err, "name")
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("ValidateTenantName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}
