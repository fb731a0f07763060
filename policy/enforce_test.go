package policy

import (
	"errors"
	"testing"

	"github.com/stewardhq/steward"
)

func TestCheckSubjectWrite(t *testing.T) {
	narrow := Default()
	for i := range narrow.Categories {
		if narrow.Categories[i].Key == "user.demographic.profile" {
			narrow.Categories[i].Fields = []string{"attributes.plan"}
		}
	}
	tests := []struct {
		name   string
		doc    *Document
		fields map[string]steward.Source
		field  string // "" when allowed.
	}{
		{"OK", Default(), map[string]steward.Source{"name": "form", "email": "third_party", "billing_address": "order", "attributes.shoe_size": "survey"}, ""},
		{"OKNone", Default(), nil, ""},
		{"OKNamedAttribute", narrow, map[string]steward.Source{"attributes.plan": "form"}, ""},
		{"ErrUndeclaredAttribute", narrow, map[string]steward.Source{"attributes.plan": "form", "attributes.shoe_size": "form"}, "attributes.shoe_size"},
		{"ErrUndeclaredField", &Document{}, map[string]steward.Source{"email": "form"}, "email"},
		{"ErrSource", Default(), map[string]steward.Source{"name": "form", "username": "fraud_detection_provider"}, "username.source"},
		{"ErrAttributeSource", Default(), map[string]steward.Source{"attributes.plan": "visit"}, "attributes.plan.source"},
		{"ErrFirstByName", Default(), map[string]steward.Source{"username": "visit", "email": "visit"}, "email.source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.doc.CheckSubjectWrite(tt.fields)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CheckSubjectWrite = %v, want nil", err)
				}
				return
			}
			var e *steward.Error
			if !errors.As(err, &e) || e.Code != steward.EUnprocessable || e.Field != tt.field {
				t.Fatalf("CheckSubjectWrite = %v, want unprocessable naming %s", err, tt.field)
			}
		})
	}
}

func TestCheckPurpose(t *testing.T) {
	d := Default()
	for _, p := range []string{"", "essential.service", "marketing.advertising.third_party.targeted"} {
		if err := d.CheckPurpose(p); err != nil {
			t.Errorf("CheckPurpose(%q) = %v, want nil", p, err)
		}
	}
	// A fideslang key the policy does not declare is as undeclared as a
	// made-up one.
	for _, p := range []string{"mind.reading", "fraud-check", "collect.training_data", "marketing.communications"} {
		var e *steward.Error
		if err := d.CheckPurpose(p); !errors.As(err, &e) || e.Code != steward.EUnprocessable || e.Field != "purpose" {
			t.Errorf("CheckPurpose(%q) = %v, want unprocessable naming purpose", p, err)
		}
	}
}

func TestFieldSources(t *testing.T) {
	p := &steward.Profile{
		Name:       &steward.Field[string]{Value: "Ada", Source: "form"},
		Attributes: map[string]steward.Field[string]{"plan": {Value: "pro", Source: "survey"}},
	}
	all := FieldSources(p, nil)
	if len(all) != 2 || all["name"] != "form" || all["attributes.plan"] != "survey" {
		t.Fatalf("FieldSources(all) = %v", all)
	}
	some := FieldSources(p, []string{"kind", "email", "attributes.plan"})
	if len(some) != 1 || some["attributes.plan"] != "survey" {
		t.Fatalf("FieldSources(some) = %v", some)
	}
}
