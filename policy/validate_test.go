package policy

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/stewardhq/steward"
)

// hasProblem reports whether ps holds a problem at path with code.
func hasProblem(ps []Problem, path, code string) bool {
	for _, p := range ps {
		if p.Path == path && p.Code == code {
			return true
		}
	}
	return false
}

func dump(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n  %s [%s]", p, p.Code)
	}
	return b.String()
}

// TestValidate breaks the default policy one way at a time and checks that
// the problem is reported at the right path with the right code.
func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(d *Document)
		path   string
		code   string
	}{
		{"UndeclaredCategoryInPurpose", func(d *Document) { d.Purposes[0].Categories[1] = "user.contact.phone_number" }, "purposes[0].categories[1]", CodeUndeclared},
		{"UndeclaredPurposeInRecipient", func(d *Document) { d.Recipients[0].Purposes[0] = "sales" }, "recipients[0].purposes[0]", CodeUndeclared},
		{"UndeclaredCategoryInRecipient", func(d *Document) { d.Recipients[0].Categories[1] = "user.biometric" }, "recipients[0].categories[1]", CodeUndeclared},
		{"UndeclaredRecipientInTracker", func(d *Document) { d.Tracking[4].Recipients[0] = "tiktok" }, "tracking[4].recipients[0]", CodeUndeclared},
		{"UndeclaredSubject", func(d *Document) { d.Purposes[0].Subjects[0] = "patient" }, "purposes[0].subjects[0]", CodeUndeclared},
		{"RecipientCategoryWithoutPurpose", func(d *Document) {
			d.Recipients[0].Categories = append(d.Recipients[0].Categories, "user.contact.address")
		}, "recipients[0].categories[2]", CodeInconsistent},
		{"CategoryWithoutRetention", func(d *Document) {
			d.Retention = d.Retention[:3]
			d.Notice[9].Covers = d.Notice[9].Covers[:3]
			d.Notice[10].Covers = d.Notice[10].Covers[:1]
		}, "categories[7]", CodeNoRetention},
		{"CategoryUnused", func(d *Document) {
			d.Categories = append(d.Categories, Category{Key: "user.contact.phone_number", Name: "Phone", Sensitivity: "moderate", Sources: []steward.Source{"form"}})
			d.Retention[0].Categories = append(d.Retention[0].Categories, "user.contact.phone_number")
		}, "categories[11]", CodeUnused},
		{"SubjectUnused", func(d *Document) {
			d.Subjects = append(d.Subjects, Subject{Key: "patient", Name: "Patients", Kinds: []steward.SubjectKind{"end_user"}})
		}, "subjects[6]", CodeUnused},
		{"DuplicateCategory", func(d *Document) { d.Categories[1].Key = "user.name" }, "categories[1].key", CodeDuplicate},
		{"OverlappingCategories", func(d *Document) { d.Categories[0].Key = "user.account" }, "categories[1].key", CodeInconsistent},
		{"DuplicateRecipientID", func(d *Document) { d.Recipients[2].ID = "advertisers" }, "recipients[2].id", CodeDuplicate},
		{"DuplicateRuleID", func(d *Document) { d.Retention[1].ID = "personal-data" }, "retention[1].id", CodeDuplicate},
		{"DuplicateRetentionPair", func(d *Document) {
			d.Retention[1].Categories = append(d.Retention[1].Categories, "user.name")
		}, "retention[1].categories[2]", CodeDuplicate},
		{"DuplicateInRefList", func(d *Document) { d.Purposes[0].Categories[1] = "user.name" }, "purposes[0].categories[1]", CodeDuplicate},
		{"DuplicateField", func(d *Document) { d.Categories[1].Fields = []string{"name"} }, "categories[1].fields[0]", CodeDuplicate},
		{"UnknownField", func(d *Document) { d.Categories[0].Fields = []string{"phone"} }, "categories[0].fields[0]", CodeUnknownValue},
		{"AttributeField", func(d *Document) { d.Categories[0].Fields = []string{"attributes.Nick-Name"} }, "categories[0].fields[0]", CodeUnknownValue},
		{"NeverKeptCategoryWithFields", func(d *Document) { d.Categories[7].Fields = []string{"attributes.card"} }, "categories[7].fields", CodeInconsistent},
		{"NeverKeptAndKept", func(d *Document) {
			d.Retention[0].Categories = append(d.Retention[0].Categories, "user.financial.credit_card")
		}, "retention[0].categories[6]", CodeInconsistent},
		{"NegativeDuration", func(d *Document) { d.Retention[2].Duration = "-P60D" }, "retention[2].duration", CodeOutOfRange},
		{"AbsurdDuration", func(d *Document) { d.Retention[0].Duration = "P101Y" }, "retention[0].duration", CodeOutOfRange},
		{"AbsurdDurationInMonths", func(d *Document) { d.Retention[0].Duration = "P1300M" }, "retention[0].duration", CodeOutOfRange},
		{"ZeroDurationFromCollection", func(d *Document) { d.Retention[0].Duration = "P0D" }, "retention[0].duration", CodeOutOfRange},
		{"MalformedDuration", func(d *Document) { d.Retention[0].Duration = "6 years" }, "retention[0].duration", CodeDuration},
		{"LowercaseDuration", func(d *Document) { d.Retention[0].Duration = "p6y" }, "retention[0].duration", CodeDuration},
		{"BlankDuration", func(d *Document) { d.Retention[0].Duration = "" }, "retention[0].duration", CodeRequired},
		{"ZeroDeadline", func(d *Document) { d.Requests.Deadline = "P0D" }, "requests.deadline", CodeOutOfRange},
		{"LongDeadline", func(d *Document) { d.Requests.Deadline = "P2Y" }, "requests.deadline", CodeOutOfRange},
		{"NegativeExtension", func(d *Document) { d.Requests.Extension = "-P1M" }, "requests.extension", CodeOutOfRange},
		{"ShortNotice", func(d *Document) { d.Changes.NoticePeriod = "PT1H" }, "changes.notice_period", CodeOutOfRange},
		{"UnknownClock", func(d *Document) { d.Retention[0].Clock = "purchase" }, "retention[0].clock", CodeUnknownValue},
		{"UnknownAction", func(d *Document) { d.Retention[0].Action = "archive" }, "retention[0].action", CodeUnknownValue},
		{"UnknownLegalBasis", func(d *Document) { d.Purposes[0].LegalBasis = "legitimate_interest" }, "purposes[0].legal_basis", CodeUnknownValue},
		{"UnknownRecipientKind", func(d *Document) { d.Recipients[0].Kind = "broker" }, "recipients[0].kind", CodeUnknownValue},
		{"UnknownSensitivity", func(d *Document) { d.Categories[0].Sensitivity = "secret" }, "categories[0].sensitivity", CodeUnknownValue},
		{"UnknownSource", func(d *Document) { d.Categories[0].Sources[0] = "carrier_pigeon" }, "categories[0].sources[0]", CodeUnknownValue},
		{"UnknownTrackingKind", func(d *Document) { d.Tracking[0].Kind = "fingerprinting" }, "tracking[0].kind", CodeUnknownValue},
		{"UnknownRight", func(d *Document) { d.Requests.Rights[0] = "be_forgotten" }, "requests.rights[0]", CodeUnknownValue},
		{"UnknownSubjectKind", func(d *Document) { d.Subjects[0].Kinds[0] = "user" }, "subjects[0].kinds[0]", CodeUnknownValue},
		{"UnknownLaw", func(d *Document) { d.Laws[0] = "hipaa" }, "laws[0]", CodeUnknownValue},
		{"UnknownMeasure", func(d *Document) { d.Security[0] = "firewall" }, "security[0]", CodeUnknownValue},
		{"DuplicateRight", func(d *Document) { d.Requests.Rights[1] = "access" }, "requests.rights[1]", CodeDuplicate},
		{"UnknownCategoryKey", func(d *Document) { d.Categories[2].Key = "user.contact.emial" }, "categories[2].key", CodeUnknownKey},
		{"UnknownUseKey", func(d *Document) { d.Purposes[0].Key = "personalise" }, "purposes[0].key", CodeUnknownKey},
		{"UnknownSubjectKey", func(d *Document) { d.Subjects[0].Key = "client" }, "subjects[0].key", CodeUnknownKey},
		{"InvalidCountry", func(d *Document) { d.Operator.Country = "Russia" }, "operator.country", CodeCountry},
		{"ReservedCountry", func(d *Document) { d.Recipients[0].Countries = []string{"UK"} }, "recipients[0].countries[0]", CodeCountry},
		{"LowercaseCountry", func(d *Document) { d.Operator.Address.Country = "ru" }, "operator.address.country", CodeCountry},
		{"AnyCountryNotAlone", func(d *Document) { d.Recipients[0].Countries = []string{"*", "US"} }, "recipients[0].countries[0]", CodeInconsistent},
		{"RecipientCountryNotDeclared", func(d *Document) {
			d.Transfers.TransferCountries = []string{"US"}
			d.Transfers.StorageCountries = []string{"RU"}
			d.Recipients[0].Countries = []string{"DE"}
		}, "recipients[0].countries[0]", CodeUndeclared},
		{"RecipientAnywhereButTransfersNot", func(d *Document) {
			d.Transfers.TransferCountries = []string{"US"}
		}, "recipients[0].countries[0]", CodeInconsistent},
		{"TransfersWithoutSafeguard", func(d *Document) { d.Transfers.Safeguards = nil }, "transfers.safeguards", CodeEmpty},
		{"MinimumAgeLow", func(d *Document) { d.MinimumAge = 12 }, "minimum_age", CodeOutOfRange},
		{"MinimumAgeHigh", func(d *Document) { d.MinimumAge = 99 }, "minimum_age", CodeOutOfRange},
		{"EmptyCategories", func(d *Document) { d.Categories = nil }, "categories", CodeEmpty},
		{"EmptyPurposes", func(d *Document) { d.Purposes = []Purpose{} }, "purposes", CodeEmpty},
		{"EmptySubjects", func(d *Document) { d.Subjects = nil }, "subjects", CodeEmpty},
		{"EmptyRetention", func(d *Document) { d.Retention = nil }, "retention", CodeEmpty},
		{"EmptyNotice", func(d *Document) { d.Notice = nil }, "notice", CodeEmpty},
		{"EmptyContact", func(d *Document) { d.Operator.Contact = nil }, "operator.contact", CodeEmpty},
		{"EmptyRecipientCategories", func(d *Document) { d.Recipients[0].Categories = nil }, "recipients[0].categories", CodeEmpty},
		{"EmptyRights", func(d *Document) { d.Requests.Rights = nil }, "requests.rights", CodeEmpty},
		{"BlankName", func(d *Document) { d.Purposes[3].Name = "  " }, "purposes[3].name", CodeRequired},
		{"BlankLegalName", func(d *Document) { d.Operator.LegalName = "" }, "operator.legal_name", CodeRequired},
		{"BadEmail", func(d *Document) { d.Operator.Contact[0].Value = "Support <support@mst.software>" }, "operator.contact[0].value", CodeInvalid},
		{"BadURL", func(d *Document) { d.Operator.Contact[1].Value = "mst.software/contacts" }, "operator.contact[1].value", CodeInvalid},
		{"BadWebsite", func(d *Document) { d.Operator.Website = "ftp://mst.software" }, "operator.website", CodeInvalid},
		{"BadID", func(d *Document) { d.Recipients[0].ID = "Ad Networks" }, "recipients[0].id", CodeInvalid},
		{"EssentialTrackerNonEssentialPurpose", func(d *Document) { d.Tracking[0].Purposes = []string{"analytics.reporting"} }, "tracking[0].purposes[0]", CodeInconsistent},
		{"TrackerCategoryNotReceivedByRecipient", func(d *Document) {
			d.Tracking[5].Categories = []string{"user.device"}
			d.Recipients[15].Categories = []string{"user.behavior.browsing_history"}
		}, "tracking[5].recipients[0]", CodeInconsistent},
		{"LimitSourceNotAllowed", func(d *Document) { d.Categories[2].Limits[0].Source = "visit" }, "categories[2].limits[0].source", CodeInconsistent},
		{"LimitPurposeNotUsingCategory", func(d *Document) {
			d.Categories[2].Limits[0].Purposes = append(d.Categories[2].Limits[0].Purposes, "employment.recruitment", "analytics.reporting")
		}, "categories[2].limits[0].purposes[6]", CodeInconsistent},
		{"NoticeRefToNothing", func(d *Document) { d.Notice[0].Covers[0] = "categories/user.biometric" }, "notice[0].covers[0]", CodeUndeclared},
		{"NoticeRefToUnknownMember", func(d *Document) { d.Notice[0].Covers[0] = "cookies_policy" }, "notice[0].covers[0]", CodeUndeclared},
		{"NoticeRefToEmpty", func(d *Document) { d.Laws = nil }, "notice[0].covers[1]", CodeUndeclared},
		{"NoticeBadParent", func(d *Document) { d.Notice[1].Parent = "contact" }, "notice[1].parent", CodeUndeclared},
		{"NoticeDuplicateID", func(d *Document) { d.Notice[1].ID = "privacy-policy" }, "notice[1].id", CodeDuplicate},
		{"NoticeNoCovers", func(d *Document) { d.Notice[3].Covers = nil }, "notice[3].covers", CodeEmpty},
		{"AssumptionRefToNothing", func(d *Document) { d.Assumptions[0].Ref = "recipients/nobody" }, "assumptions[0].ref", CodeUndeclared},
		{"PlaceholderInSummary", func(d *Document) { d.Notice[5].Summary = "We use cookies on our $platform." }, "notice[5].summary", CodePlaceholder},
		{"PlaceholderInName", func(d *Document) { d.Operator.LegalName = "[COMPANY]" }, "operator.legal_name", CodePlaceholder},
		{"PlaceholderInAddress", func(d *Document) { d.Operator.Address.Line1 = "{{street}}" }, "operator.address.line1", CodePlaceholder},
		{"PlaceholderInDescription", func(d *Document) { d.Recipients[3].Description = "TODO: describe" }, "recipients[3].description", CodePlaceholder},
		{"PlaceholderInEmail", func(d *Document) { d.Operator.Contact[0].Value = "privacy@example.com" }, "operator.contact[0].value", CodePlaceholder},
		{"TooLongText", func(d *Document) { d.Notice[0].Summary = strings.Repeat("a", MaxText+1) }, "notice[0].summary", CodeTooLarge},
		{"NegativeVersion", func(d *Document) { d.Version = -1 }, "version", CodeOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Default()
			tt.mutate(d)
			ps := Validate(d)
			if !hasProblem(ps, tt.path, tt.code) {
				t.Fatalf("want %s [%s]; got:%s", tt.path, tt.code, dump(ps))
			}
			for _, p := range ps {
				if p.Code == "" || p.Message == "" {
					t.Errorf("problem without code or message: %+v", p)
				}
			}
		})
	}
}

// TestValidateReportsEverything checks that problems in many sections are
// all reported in one run, not only the first.
func TestValidateReportsEverything(t *testing.T) {
	d := Default()
	d.Operator.Country = "XX"
	d.Purposes[0].LegalBasis = "whim"
	d.Recipients[1].Purposes[0] = "nothing"
	d.Retention[3].Duration = "P-1D"
	d.MinimumAge = 5
	d.Notice[2].Summary = "Ask <COMPANY NAME> at %s."
	ps := Validate(d)
	for _, want := range []struct{ path, code string }{
		{"operator.country", CodeCountry},
		{"purposes[0].legal_basis", CodeUnknownValue},
		{"recipients[1].purposes[0]", CodeUndeclared},
		{"retention[3].duration", CodeDuration},
		{"minimum_age", CodeOutOfRange},
		{"notice[2].summary", CodePlaceholder},
	} {
		if !hasProblem(ps, want.path, want.code) {
			t.Errorf("missing %s [%s]", want.path, want.code)
		}
	}
	if len(ps) != 6 {
		t.Errorf("want exactly 6 problems, got:%s", dump(ps))
	}
}

func TestValidateNil(t *testing.T) {
	if ps := Validate(nil); len(ps) != 1 || ps[0].Code != CodeRequired {
		t.Fatalf("Validate(nil) = %v", ps)
	}
}

// TestValidateEmptyDocument checks that an empty document is refused with
// one problem per missing part rather than a panic.
func TestValidateEmptyDocument(t *testing.T) {
	ps := Validate(&Document{})
	for _, path := range []string{"operator.legal_name", "subjects", "categories", "purposes", "retention", "requests.deadline", "minimum_age", "changes.notice_period", "transfers.storage_countries", "notice"} {
		if !containsPath(ps, path) {
			t.Errorf("no problem at %s:%s", path, dump(ps))
		}
	}
}

func containsPath(ps []Problem, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}

// TestDeprecatedKey runs validation against a taxonomy in which a key the
// default uses is deprecated; the embedded snapshot deprecates none.
func TestDeprecatedKey(t *testing.T) {
	real := Fideslang()
	tax := &Taxonomy{Categories: maps.Clone(real.Categories), Uses: maps.Clone(real.Uses), Subjects: maps.Clone(real.Subjects)}
	term := tax.Categories["user.account.username"]
	term.Deprecated, term.ReplacedBy = "9.0.0", "user.account.handle"
	tax.Categories["user.account.username"] = term
	ps := validate(Default(), tax)
	if !hasProblem(ps, "categories[1].key", CodeDeprecatedKey) || !strings.Contains(dump(ps), "user.account.handle") {
		t.Fatalf("no deprecation reported:%s", dump(ps))
	}
}

func TestSuggestions(t *testing.T) {
	d := Default()
	d.Categories[2].Key = "user.contact.emial"
	d.Purposes[0].LegalBasis = "concent"
	msg := dump(Validate(d))
	for _, want := range []string{`did you mean "user.contact.email"?`, `did you mean "consent"?`} {
		if !strings.Contains(msg, want) {
			t.Errorf("no hint %s in:%s", want, msg)
		}
	}
}

func TestProblemsError(t *testing.T) {
	_, err := Parse([]byte(`{"operator": 1}`))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) < 2 {
		t.Fatalf("err = %v", err)
	}
	if steward.ErrorCode(err) != steward.EInvalid || steward.ErrorField(err) != ps[0].Path {
		t.Errorf("domain error: code %q field %q", steward.ErrorCode(err), steward.ErrorField(err))
	}
	if !strings.Contains(err.Error(), "problems") {
		t.Errorf("Error() = %q", err.Error())
	}
	_, err = Parse([]byte(`{`))
	if steward.ErrorCode(err) != steward.EMalformedJSON {
		t.Errorf("malformed: code %q", steward.ErrorCode(err))
	}
}
