package policy_test

import (
	"reflect"
	"testing"

	"github.com/stewardhq/steward/policy"
)

func TestDiff(t *testing.T) {
	none := policy.SectionDiff{Added: []string{}, Removed: []string{}, Changed: []policy.Change{}}
	tests := []struct {
		name string
		edit func(*policy.Document)
		want func(*policy.DocumentDiff)
	}{
		{"Identical", func(*policy.Document) {}, func(*policy.DocumentDiff) {}},
		{"OutsideTheDiffedSections", func(d *policy.Document) { d.MinimumAge = 16 }, func(*policy.DocumentDiff) {}},
		{"Reordered", func(d *policy.Document) {
			d.Purposes[0], d.Purposes[1] = d.Purposes[1], d.Purposes[0]
		}, func(*policy.DocumentDiff) {}},
		{"CategoryRemoved", func(d *policy.Document) {
			d.Categories = d.Categories[1:]
		}, func(w *policy.DocumentDiff) { w.Categories.Removed = []string{"user.name"} }},
		{"RecipientAdded", func(d *policy.Document) {
			r := d.Recipients[0]
			r.ID = "new-partner"
			d.Recipients = append(d.Recipients, r)
		}, func(w *policy.DocumentDiff) { w.Recipients.Added = []string{"new-partner"} }},
		{"RetentionChanged", func(d *policy.Document) {
			d.Retention[0].Duration = "P2Y"
			d.Retention[0].Action = "depersonalize"
		}, func(w *policy.DocumentDiff) {
			w.Retention.Changed = []policy.Change{{Key: "personal-data", Fields: []string{"duration", "action"}}}
		}},
		{"PurposeChangedAndRemoved", func(d *policy.Document) {
			d.Purposes[0].Name = "Personalisation"
			d.Purposes = append(d.Purposes[:1], d.Purposes[2:]...)
		}, func(w *policy.DocumentDiff) {
			w.Purposes.Changed = []policy.Change{{Key: "personalize", Fields: []string{"name"}}}
			w.Purposes.Removed = []string{"functional.service.improve"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := policy.Default(), policy.Default()
			tt.edit(b)
			want := &policy.DocumentDiff{Categories: none, Purposes: none, Recipients: none, Retention: none}
			tt.want(want)
			got := policy.Diff(a, b)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Diff = %+v\nwant %+v", got, want)
			}
			if got.Empty() != reflect.DeepEqual(want, &policy.DocumentDiff{Categories: none, Purposes: none, Recipients: none, Retention: none}) {
				t.Errorf("Empty() = %v", got.Empty())
			}
		})
	}
}

func TestDiffNil(t *testing.T) {
	d := policy.Diff(nil, policy.Default())
	if len(d.Categories.Added) != len(policy.Default().Categories) || len(d.Retention.Removed) != 0 {
		t.Fatalf("Diff(nil, default) = %+v", d.Categories)
	}
	d = policy.Diff(policy.Default(), nil)
	if len(d.Recipients.Removed) != len(policy.Default().Recipients) {
		t.Fatalf("Diff(default, nil) = %+v", d.Recipients)
	}
}
