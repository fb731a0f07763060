package policy

import (
	"regexp"
	"slices"

	"github.com/stewardhq/steward"
)

// This file holds the closed vocabularies of the document. Each list is the
// single source for validation, the JSON Schema's enums (a test keeps them
// equal) and, later, the rendered notice.

// LegalBasis is a GDPR Art. 6(1) basis for processing.
type LegalBasis string

// LegalBases lists every legal basis.
var LegalBases = []LegalBasis{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"}

// RecipientKind says what a recipient is to the operator.
type RecipientKind string

// The recipient kinds; authorities receive data only with a legal reference.
const (
	RecipientProcessor        RecipientKind = "processor"
	RecipientAdvertiser       RecipientKind = "advertiser"
	RecipientAffiliate        RecipientKind = "affiliate"
	RecipientAnalyticsPartner RecipientKind = "analytics_partner"
	RecipientAuthority        RecipientKind = "authority"
	RecipientSuccessor        RecipientKind = "successor"
	RecipientContestSponsor   RecipientKind = "contest_sponsor"
	RecipientMarketingPartner RecipientKind = "marketing_partner"
)

// RecipientKinds lists every recipient kind.
var RecipientKinds = []RecipientKind{
	RecipientProcessor, RecipientAdvertiser, RecipientAffiliate, RecipientAnalyticsPartner,
	RecipientAuthority, RecipientSuccessor, RecipientContestSponsor, RecipientMarketingPartner,
}

// Clock is the event from which a retention duration runs.
type Clock string

// The retention clocks.
const (
	ClockCollection      Clock = "collection"
	ClockLastActivity    Clock = "last_activity"
	ClockAccountDeletion Clock = "account_deletion"
	ClockTransactionEnd  Clock = "transaction_end"
)

// Clocks lists every clock.
var Clocks = []Clock{ClockCollection, ClockLastActivity, ClockAccountDeletion, ClockTransactionEnd}

// Action is what happens to data when its retention ends.
type Action string

// Actions lists every retention action.
var Actions = []Action{"delete", "depersonalize"}

// Sensitivity grades a category; "special" is a GDPR Art. 9 category.
type Sensitivity string

// Sensitivities lists every sensitivity, least sensitive first.
var Sensitivities = []Sensitivity{"low", "moderate", "high", "special"}

// TrackingKind is a tracking technology.
type TrackingKind string

// TrackingKinds lists every tracking technology.
var TrackingKinds = []TrackingKind{"cookies", "local_storage", "sessions", "pixels"}

// Right is a right a subject may exercise through a request.
type Right string

// Rights lists every right.
var Rights = []Right{"access", "know", "portability", "rectification", "erasure", "restriction", "objection", "opt_out_of_sale", "withdraw_consent"}

// Channel is a way to contact the operator.
type Channel string

// Channels lists every contact channel.
var Channels = []Channel{"email", "url", "postal"}

// NotifyChannel is how subjects hear of a policy change.
type NotifyChannel string

// NotifyChannels lists every notification channel.
var NotifyChannels = []NotifyChannel{"service", "email"}

// Law is a privacy law or framework the policy addresses.
type Law string

// Laws lists every law the document can name.
var Laws = []Law{"gdpr", "uk_gdpr", "ccpa", "caloppa", "coppa", "lgpd", "pipeda"}

// Safeguard is a legal mechanism for transfers to other countries.
type Safeguard string

// Safeguards lists every transfer safeguard.
var Safeguards = []Safeguard{"adequacy_decision", "standard_contractual_clauses", "binding_corporate_rules", "explicit_consent"}

// Measure is a security measure the policy promises.
type Measure string

// Measures lists every security measure.
var Measures = []Measure{
	"transport_encryption", "field_encryption", "crypto_shredding", "access_control",
	"audit_log", "identity_verification", "card_number_redaction",
}

// The sources the policy names beyond Steward's first six; the domain owns
// them so values from them can be stored.
const (
	SourceVisit           = steward.SourceVisit
	SourceContact         = steward.SourceContact
	SourceSocialNetwork   = steward.SourceSocialNetwork
	SourceFraudDetection  = steward.SourceFraudDetection
	SourcePaymentProvider = steward.SourcePaymentProvider
)

// Sources lists every source a category may allow: the domain's list, so
// the policy and the store agree on what a source is.
var Sources = slices.Clone(steward.Sources)

// Profile fields a category may map; attributes are "attributes.<name>",
// or AnyAttribute for every attribute the category does not leave to
// another.
var profileFields = []string{"name", "username", "email", "billing_address", "messages"}

// attributeField matches "attributes.<name>" with steward's attribute rule.
var attributeField = regexp.MustCompile(`^attributes\.[a-z][a-z0-9_]{0,63}$`)

// AnyAttribute is the field that maps every custom attribute not named by
// a category of its own.
const AnyAttribute = "attributes.*"

// validField reports whether f names something a subject profile holds.
func validField(f string) bool {
	return slices.Contains(profileFields, f) || f == AnyAttribute || attributeField.MatchString(f)
}
