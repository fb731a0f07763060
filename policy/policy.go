// Package policy owns Steward's machine-readable privacy policy: the document
// an operator (and later each tenant) publishes, its strict JSON form and JSON
// Schema, the validation that refuses a policy whole while naming every
// problem by its path, the fideslang taxonomy its keys come from, and the
// built-in default policy that encodes the seed privacy policy.
//
// What the policy declares is what Steward allows: the store and the HTTP API
// consult it to refuse data outside a declared category, a use outside a
// declared purpose and a disclosure to an undeclared recipient, and the human
// notice is rendered from it. The package imports only the standard library
// and the domain package, so every adapter can share it.
package policy

import (
	"time"

	"github.com/stewardhq/steward"
)

// Document is one version of a privacy policy. Categories, purposes and
// subjects are keyed by fideslang keys; recipients, retention rules, trackers
// and notice sections by short ids the document chooses. Lists that refer to
// other elements hold those keys or ids.
//
// A member whose JSON tag lacks omitempty is required: the decoder reports it
// missing, and the JSON Schema lists it as required.
type Document struct {
	// Version and EffectiveAt are set by the store when a version is
	// published; a file may carry them but need not.
	Version     int        `json:"version,omitempty"`
	EffectiveAt *time.Time `json:"effective_at,omitempty"`

	Operator   Operator        `json:"operator"`
	Laws       []Law           `json:"laws,omitempty"`
	Subjects   []Subject       `json:"subjects"`
	Categories []Category      `json:"categories"`
	Purposes   []Purpose       `json:"purposes"`
	Recipients []Recipient     `json:"recipients"` // May be [] but must be said.
	Retention  []RetentionRule `json:"retention"`
	Requests   Requests        `json:"requests"`
	MinimumAge int             `json:"minimum_age"`
	Changes    Changes         `json:"changes"`
	Tracking   []Tracker       `json:"tracking"` // May be [] but must be said.
	Transfers  Transfers       `json:"transfers"`
	Security   []Measure       `json:"security,omitempty"`
	// SellsPersonalData is the CCPA statement; false means "we do not sell".
	SellsPersonalData bool `json:"sells_personal_data"`

	Notice      []Section    `json:"notice"`
	Assumptions []Assumption `json:"assumptions,omitempty"`
}

// Operator is who is responsible for the data and how to reach them.
type Operator struct {
	LegalName    string          `json:"legal_name"`
	ServiceName  string          `json:"service_name"`
	Website      string          `json:"website"` // The service the policy covers.
	Address      steward.Address `json:"address"`
	Country      string          `json:"country"`       // Of incorporation, ISO 3166-1 alpha-2.
	GoverningLaw string          `json:"governing_law"` // Country whose law governs the policy.
	Contact      []Contact       `json:"contact"`
}

// Contact is one channel through which people reach the operator.
type Contact struct {
	Channel Channel `json:"channel"`
	Value   string  `json:"value"` // An address, an https URL, or a postal address.
}

// Subject maps a fideslang data subject to the Steward subject kinds that
// store such people. One fideslang subject may be kept as several kinds (a
// "customer" may be a tenant's end user or an operator's customer contact).
type Subject struct {
	Key         string                `json:"key"` // fideslang data_subject key.
	Name        string                `json:"name"`
	Description string                `json:"description,omitempty"`
	Kinds       []steward.SubjectKind `json:"kinds"`
}

// Category is a category of personal data the policy allows.
type Category struct {
	Key         string `json:"key"` // fideslang data_category key.
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Fields are the subject profile fields that hold this category (name,
	// username, email, billing_address, messages, attributes.<name>). A
	// category Steward never stores itself, such as card data, has none.
	Fields      []string         `json:"fields,omitempty"`
	Sensitivity Sensitivity      `json:"sensitivity"`
	Sources     []steward.Source `json:"sources"`
	// Limits narrow the purposes for values from one source: the seed uses
	// an email address given only at checkout for that order alone.
	Limits []SourceLimit `json:"limits,omitempty"`
}

// SourceLimit says values of a category collected from Source may be used
// only for Purposes.
type SourceLimit struct {
	Source   steward.Source `json:"source"`
	Purposes []string       `json:"purposes"`
}

// Purpose is why data is processed, with the legal basis that allows it.
type Purpose struct {
	Key         string     `json:"key"` // fideslang data_use key.
	Name        string     `json:"name"`
	Description string     `json:"description,omitempty"`
	LegalBasis  LegalBasis `json:"legal_basis"`
	Subjects    []string   `json:"subjects"`
	Categories  []string   `json:"categories"`
}

// Recipient is a third party, or a kind of third party, that receives data.
type Recipient struct {
	ID          string        `json:"id"`
	Name        string        `json:"name"`
	Kind        RecipientKind `json:"kind"`
	Description string        `json:"description,omitempty"`
	// Countries are ISO 3166-1 alpha-2 codes, or ["*"] for "anywhere in
	// the world" when the policy cannot say more.
	Countries  []string `json:"countries"`
	Categories []string `json:"categories"`
	Purposes   []string `json:"purposes"`
}

// RetentionRule says how long data of some categories is kept after an
// event, and what happens then. When several rules cover one category, the
// first to fall due applies; a zero duration on transaction_end means the
// data is never kept after the transaction.
type RetentionRule struct {
	ID          string   `json:"id"`
	Categories  []string `json:"categories"`
	Duration    Duration `json:"duration"`
	Clock       Clock    `json:"clock"`
	Action      Action   `json:"action"`
	Description string   `json:"description,omitempty"`
}

// Requests are the promises about rights requests.
type Requests struct {
	Deadline       Duration `json:"deadline"`
	Extension      Duration `json:"extension"` // P0D when no extension is allowed.
	Rights         []Right  `json:"rights"`
	VerifyIdentity bool     `json:"verify_identity"`
}

// Changes are the promises about changing the policy itself.
type Changes struct {
	NoticePeriod Duration        `json:"notice_period"`
	NotifyVia    []NotifyChannel `json:"notify_via"`
}

// Tracker is a tracking technology used on the operator's websites.
type Tracker struct {
	ID          string       `json:"id"`
	Kind        TrackingKind `json:"kind"`
	Name        string       `json:"name"`
	Description string       `json:"description,omitempty"`
	// Essential trackers run without consent, so they may serve only
	// essential purposes.
	Essential  bool     `json:"essential"`
	Purposes   []string `json:"purposes"`
	Categories []string `json:"categories"`
	Recipients []string `json:"recipients,omitempty"`
}

// Transfers say where data is stored and where it may travel.
type Transfers struct {
	StorageCountries  []string    `json:"storage_countries"`
	TransferCountries []string    `json:"transfer_countries"`
	Safeguards        []Safeguard `json:"safeguards"`
}

// Section is one section of the human notice. Covers lists references to
// the policy elements the section presents, so a rendered notice cannot say
// what the policy does not declare, and each heading of the source policy
// is accounted for. A reference is a top-level member or a dotted path
// ("minimum_age", "requests.deadline"), or a list element by key or id
// ("categories/user.contact.email", "retention/card-data", "laws/gdpr").
type Section struct {
	ID      string   `json:"id"`
	Heading string   `json:"heading"`
	Parent  string   `json:"parent,omitempty"` // Id of an earlier section.
	Summary string   `json:"summary,omitempty"`
	Covers  []string `json:"covers"`
}

// Assumption records a value the policy's author chose where the source
// policy was silent or vague. It is not a problem: the operator confirms
// each assumption, then deletes it. Ref uses the syntax of Section.Covers.
type Assumption struct {
	Ref  string `json:"ref"`
	Note string `json:"note"`
}
