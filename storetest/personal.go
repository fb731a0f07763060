package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stewardhq/steward"
)

// personal is a set of distinctive personal values, unlikely to appear in a
// database by chance, so the suite can look for them in bytes at rest, in
// audit entries and in errors.
type personal struct {
	Email, Name, Username           string
	Line1, City, PostalCode, Region string
	AttrKey, AttrValue              string
	Body                            string
}

// distinctive returns values marked with tag, which tells people apart.
func distinctive(tag string) personal {
	return personal{
		Email:      "zelda.quux." + tag + "@plughmail.example",
		Name:       "Zelda Quixotic-Marchbanks " + tag,
		Username:   "zquux_" + tag,
		Line1:      "742 Evergreen Xyzzyterrace " + tag,
		City:       "Frobozzville" + tag,
		PostalCode: "QX" + tag + "7Z",
		Region:     "Gnusto Province",
		AttrKey:    "loyalty_tier",
		AttrValue:  "platinum-grue-" + tag,
		Body:       "Please forget the thing about the wumpus cave " + tag,
	}
}

// collected is the provenance time the suite sets explicitly; stores keep it
// to the microsecond.
var collected = time.Date(2024, 3, 1, 10, 0, 0, 123456789, time.UTC)

// input returns a create request holding every kind of field: name,
// username, email, a structured address and a custom attribute, with
// provenance on some fields and the request's default on the others.
func (p personal) input() *steward.SubjectInput {
	return &steward.SubjectInput{
		Kind:     steward.KindCustomerContact,
		Source:   steward.SourceForm,
		Name:     &steward.Field[string]{Value: p.Name, Source: steward.SourceOrder, CollectedAt: collected},
		Username: &steward.Field[string]{Value: p.Username},
		Email:    &steward.Field[string]{Value: p.Email, Source: steward.SourceNewsletter, CollectedAt: collected.Add(time.Hour)},
		BillingAddress: &steward.Field[steward.Address]{Value: steward.Address{
			Line1: p.Line1, City: p.City, Region: p.Region, PostalCode: p.PostalCode, Country: "de",
		}, Source: steward.SourceOrder},
		Attributes: map[string]steward.Field[string]{
			p.AttrKey: {Value: p.AttrValue, Source: steward.SourceSurvey, CollectedAt: collected},
		},
	}
}

// values lists every personal value as stored, for scans of bytes at rest.
func (p personal) values() []string {
	return []string{p.Email, p.Name, p.Username, p.Line1, p.City, p.PostalCode, p.Region, p.AttrValue, p.Body}
}

// sameProfile fails unless two profiles hold the same fields, values and
// provenance.
func sameProfile(tb testing.TB, got, want *steward.Profile) {
	tb.Helper()
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if string(g) != string(w) {
		tb.Fatalf("profile =\n%s\nwant\n%s", g, w)
	}
}
