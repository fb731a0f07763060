package steward

import (
	"bytes"
	"encoding/json"
	"io"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
)

// SubjectKind says who a subject is to the tenant.
type SubjectKind string

// The subject kinds Steward keeps.
const (
	KindEndUser         SubjectKind = "end_user"
	KindCustomerContact SubjectKind = "customer_contact"
	KindPersonnel       SubjectKind = "personnel"
)

// SubjectKinds lists every valid kind.
var SubjectKinds = []SubjectKind{KindEndUser, KindCustomerContact, KindPersonnel}

// Source records where a value was collected from; the seed policy names
// these channels.
type Source string

// The sources Steward knows.
const (
	SourceRegistration Source = "registration"
	SourceOrder        Source = "order"
	SourceNewsletter   Source = "newsletter"
	SourceSurvey       Source = "survey"
	SourceForm         Source = "form"
	SourceThirdParty   Source = "third_party"
	// The finer provenance the policy can name: SourceThirdParty is any third
	// party, these say which kind (or automatic collection), so a policy
	// category can allow one without allowing all.
	SourceVisit           Source = "visit"   // Collected automatically when a website is visited.
	SourceContact         Source = "contact" // Given when the person contacts the operator.
	SourceSocialNetwork   Source = "social_network"
	SourceFraudDetection  Source = "fraud_detection_provider"
	SourcePaymentProvider Source = "payment_provider"
)

// Sources lists every valid source. The policy's categories allow sources
// from this same list, so every value a policy can allow can be stored.
var Sources = []Source{
	SourceRegistration, SourceOrder, SourceNewsletter, SourceSurvey, SourceForm, SourceThirdParty,
	SourceVisit, SourceContact, SourceSocialNetwork, SourceFraudDetection, SourcePaymentProvider,
}

// Field is one personal value with its provenance.
type Field[T any] struct {
	Value       T         `json:"value"`
	Source      Source    `json:"source,omitempty"`
	CollectedAt time.Time `json:"collected_at"`
}

// Address is a structured postal address.
type Address struct {
	Line1      string `json:"line1,omitempty"`
	Line2      string `json:"line2,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2.
}

// Profile holds a subject's personal data, field by field. It is encrypted as
// one record with the subject's data key.
type Profile struct {
	Name           *Field[string]           `json:"name,omitempty"`
	Username       *Field[string]           `json:"username,omitempty"`
	Email          *Field[string]           `json:"email,omitempty"`
	BillingAddress *Field[Address]          `json:"billing_address,omitempty"`
	Attributes     map[string]Field[string] `json:"attributes,omitempty"`
}

// Subject is a person whose data a tenant keeps.
type Subject struct {
	ID        string      `json:"id"`
	Kind      SubjectKind `json:"kind"`
	Profile   Profile     `json:"profile"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	// RedactedCardNumbers counts card numbers removed from this request's
	// text before it was stored; it is not stored itself.
	RedactedCardNumbers int `json:"redacted_card_numbers"`
}

// FieldNames lists the names of the fields a profile holds, for audit entries.
func (p *Profile) FieldNames() []string {
	var names []string
	if p.Name != nil {
		names = append(names, "name")
	}
	if p.Username != nil {
		names = append(names, "username")
	}
	if p.Email != nil {
		names = append(names, "email")
	}
	if p.BillingAddress != nil {
		names = append(names, "billing_address")
	}
	for k := range p.Attributes {
		names = append(names, "attributes."+k)
	}
	sort.Strings(names)
	return names
}

// SubjectInput is the body of a create request.
type SubjectInput struct {
	Kind SubjectKind `json:"kind"`
	// Source is the default source for fields that do not name their own.
	Source         Source                   `json:"source,omitempty"`
	Name           *Field[string]           `json:"name,omitempty"`
	Username       *Field[string]           `json:"username,omitempty"`
	Email          *Field[string]           `json:"email,omitempty"`
	BillingAddress *Field[Address]          `json:"billing_address,omitempty"`
	Attributes     map[string]Field[string] `json:"attributes,omitempty"`
}

// Subject validates the input, normalises it, redacts card numbers and
// returns the subject to store.
func (in *SubjectInput) Subject(now time.Time) (*Subject, error) {
	if !slices.Contains(SubjectKinds, in.Kind) {
		return nil, Errorf(EInvalid, "kind", "kind must be one of end_user, customer_contact, personnel")
	}
	s := &Subject{Kind: in.Kind, CreatedAt: now, UpdatedAt: now}
	p := SubjectPatch{Source: in.Source}
	if in.Name != nil {
		p.Name = Patch[Field[string]]{Set: true, Value: in.Name}
	}
	if in.Username != nil {
		p.Username = Patch[Field[string]]{Set: true, Value: in.Username}
	}
	if in.Email != nil {
		p.Email = Patch[Field[string]]{Set: true, Value: in.Email}
	}
	if in.BillingAddress != nil {
		p.BillingAddress = Patch[Field[Address]]{Set: true, Value: in.BillingAddress}
	}
	if len(in.Attributes) > 0 {
		p.Attributes = make(map[string]*Field[string], len(in.Attributes))
		for k, v := range in.Attributes {
			p.Attributes[k] = &v
		}
	}
	if _, err := p.Apply(s, now); err != nil {
		return nil, err
	}
	return s, nil
}

// Patch is a JSON merge-patch member: absent leaves a field alone, null
// removes it and a value replaces it.
type Patch[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON records that the member was present and decodes it strictly.
func (p *Patch[T]) UnmarshalJSON(b []byte) error {
	p.Set = true
	if string(bytes.TrimSpace(b)) == "null" {
		p.Value = nil
		return nil
	}
	p.Value = new(T)
	return DecodeStrict(b, p.Value)
}

// DecodeStrict decodes one JSON value, rejecting unknown fields and trailing
// data.
func DecodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(EMalformedJSON, "", "unexpected data after the JSON value")
	}
	return nil
}

// SubjectPatch is the body of an update request.
type SubjectPatch struct {
	Kind           *SubjectKind              `json:"kind,omitempty"`
	Source         Source                    `json:"source,omitempty"`
	Name           Patch[Field[string]]      `json:"name"`
	Username       Patch[Field[string]]      `json:"username"`
	Email          Patch[Field[string]]      `json:"email"`
	BillingAddress Patch[Field[Address]]     `json:"billing_address"`
	Attributes     map[string]*Field[string] `json:"attributes,omitempty"` // nil value removes.
}

// Limits on what a profile may hold.
const (
	MaxNameLen      = 200
	MaxUsernameLen  = 64
	MaxEmailLen     = 254
	MaxAddressLen   = 200
	MaxAttributes   = 64
	MaxAttributeLen = 4096
	MaxMessageLen   = 64 << 10
)

var (
	attributeKey = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)
	countryCode  = regexp.MustCompile(`^[A-Z]{2}$`)
)

// clockSkew is how far in the future a collected_at may lie.
const clockSkew = 5 * time.Minute

// Apply validates the patch and applies it to s, returning the names of the
// fields it changed. s is left untouched when the patch is invalid.
func (p *SubjectPatch) Apply(s *Subject, now time.Time) ([]string, error) {
	if p.Source != "" && !slices.Contains(Sources, p.Source) {
		return nil, errSource("source")
	}
	next := s.Profile
	next.Attributes = make(map[string]Field[string], len(s.Profile.Attributes))
	for k, v := range s.Profile.Attributes {
		next.Attributes[k] = v
	}
	kind := s.Kind
	var changed []string
	redacted := 0
	if p.Kind != nil {
		if !slices.Contains(SubjectKinds, *p.Kind) {
			return nil, Errorf(EInvalid, "kind", "kind must be one of end_user, customer_contact, personnel")
		}
		kind = *p.Kind
		changed = append(changed, "kind")
	}
	textFields := []struct {
		name  string
		patch Patch[Field[string]]
		dst   **Field[string]
		norm  func(field, v string, extra int) (string, error)
	}{
		{"name", p.Name, &next.Name, normalizeName},
		{"username", p.Username, &next.Username, normalizeUsername},
		{"email", p.Email, &next.Email, normalizeEmailField},
	}
	for _, f := range textFields {
		if !f.patch.Set {
			continue
		}
		changed = append(changed, f.name)
		if f.patch.Value == nil {
			*f.dst = nil
			continue
		}
		v := *f.patch.Value
		if err := p.provenance(f.name, &v.Source, &v.CollectedAt, now); err != nil {
			return nil, err
		}
		var n int
		v.Value, n = RedactCardNumbers(v.Value)
		redacted += n
		norm, err := f.norm(f.name, v.Value, redactionGrowth(n))
		if err != nil {
			return nil, err
		}
		v.Value = norm
		*f.dst = &v
	}
	if p.BillingAddress.Set {
		changed = append(changed, "billing_address")
		if p.BillingAddress.Value == nil {
			next.BillingAddress = nil
		} else {
			v := *p.BillingAddress.Value
			if err := p.provenance("billing_address", &v.Source, &v.CollectedAt, now); err != nil {
				return nil, err
			}
			n, err := normalizeAddress(&v.Value)
			if err != nil {
				return nil, err
			}
			redacted += n
			next.BillingAddress = &v
		}
	}
	for k, v := range p.Attributes {
		field := "attributes." + k
		if !attributeKey.MatchString(k) {
			return nil, Errorf(EInvalid, "attributes", "attribute names are 1-64 characters of a-z, 0-9 and _, starting with a letter")
		}
		if v == nil {
			if _, ok := next.Attributes[k]; ok {
				changed = append(changed, field)
				delete(next.Attributes, k)
			}
			continue
		}
		changed = append(changed, field)
		a := *v
		if err := p.provenance(field, &a.Source, &a.CollectedAt, now); err != nil {
			return nil, err
		}
		var n int
		a.Value, n = RedactCardNumbers(a.Value)
		redacted += n
		val, err := normalizeText(field, a.Value, MaxAttributeLen+redactionGrowth(n), true)
		if err != nil {
			return nil, err
		}
		a.Value = val
		next.Attributes[k] = a
	}
	if len(next.Attributes) > MaxAttributes {
		return nil, Errorf(EInvalid, "attributes", "a subject may have at most %d attributes", MaxAttributes)
	}
	if len(next.Attributes) == 0 {
		next.Attributes = nil
	}
	if next.FieldNames() == nil {
		return nil, Errorf(EInvalid, "", "a subject needs at least one field; to remove a subject, erase it")
	}
	sort.Strings(changed)
	s.Kind = kind
	s.Profile = next
	s.RedactedCardNumbers = redacted
	return changed, nil
}

func errSource(field string) error {
	return Errorf(EInvalid, field, "source must be one of registration, order, newsletter, survey, form, third_party, visit, contact, social_network, fraud_detection_provider, payment_provider")
}

// provenance fills in and checks a value's source and collection time.
func (p *SubjectPatch) provenance(field string, src *Source, at *time.Time, now time.Time) error {
	if *src == "" {
		*src = p.Source
	}
	if *src == "" {
		return Errorf(EInvalid, field+".source", "source is required (on the field or as the request's default source)")
	}
	if !slices.Contains(Sources, *src) {
		return errSource(field + ".source")
	}
	if at.IsZero() {
		*at = now
	}
	if at.After(now.Add(clockSkew)) {
		return Errorf(EInvalid, field+".collected_at", "collected_at lies in the future")
	}
	if at.Year() < 1900 {
		return Errorf(EInvalid, field+".collected_at", "collected_at is too far in the past")
	}
	*at = at.UTC().Truncate(time.Microsecond)
	return nil
}

func normalizeName(field, v string, extra int) (string, error) {
	v, err := normalizeText(field, v, MaxNameLen+extra, false)
	if err == nil && v == "" {
		err = Errorf(EInvalid, field, "%s must not be empty", field)
	}
	return v, err
}

func normalizeUsername(field, v string, _ int) (string, error) {
	u, err := NormalizeUsername(v)
	if err != nil {
		return "", Errorf(EInvalid, field, "%s", err.(*Error).Message)
	}
	return u, nil
}

func normalizeEmailField(field, v string, _ int) (string, error) {
	e, err := NormalizeEmail(v)
	if err != nil {
		return "", Errorf(EInvalid, field, "%s", err.(*Error).Message)
	}
	return e, nil
}

func normalizeAddress(a *Address) (int, error) {
	redacted := 0
	parts := []struct {
		name string
		v    *string
	}{
		{"line1", &a.Line1}, {"line2", &a.Line2}, {"city", &a.City},
		{"region", &a.Region}, {"postal_code", &a.PostalCode}, {"country", &a.Country},
	}
	empty := true
	for _, part := range parts {
		field := "billing_address.value." + part.name
		var n int
		*part.v, n = RedactCardNumbers(*part.v)
		redacted += n
		v, err := normalizeText(field, *part.v, MaxAddressLen+redactionGrowth(n), false)
		if err != nil {
			return 0, err
		}
		*part.v = v
		if v != "" {
			empty = false
		}
	}
	if empty {
		return 0, Errorf(EInvalid, "billing_address.value", "an address needs at least one part")
	}
	if a.Country != "" {
		a.Country = strings.ToUpper(a.Country)
		if !countryCode.MatchString(a.Country) {
			return 0, Errorf(EInvalid, "billing_address.value.country", "country must be an ISO 3166-1 alpha-2 code such as DE or US")
		}
	}
	return redacted, nil
}
