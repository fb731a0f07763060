package policy

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/stewardhq/steward"
)

// Records are the records of processing activities (GDPR Art. 30) of one
// controller, built from the policy in force and the disclosure ledger.
type Records struct {
	PolicyVersion int                `json:"policy_version"`
	GeneratedAt   time.Time          `json:"generated_at"`
	Controller    Controller         `json:"controller"`
	Records       []ProcessingRecord `json:"records"`
}

// Controller is who is responsible for the processing and how to reach them.
type Controller struct {
	LegalName   string          `json:"legal_name"`
	ServiceName string          `json:"service_name"`
	Address     steward.Address `json:"address"`
	Country     string          `json:"country"`
	Contact     []Contact       `json:"contact"`
}

// ProcessingRecord is the record of one purpose.
type ProcessingRecord struct {
	Purpose        string            `json:"purpose"`
	Name           string            `json:"name"`
	LegalBasis     LegalBasis        `json:"legal_basis"`
	DataSubjects   []Named           `json:"data_subjects"`
	DataCategories []Named           `json:"data_categories"`
	Recipients     []RecordRecipient `json:"recipients"`
	Transfers      RecordTransfers   `json:"transfers"`
	Retention      []RecordRetention `json:"retention"`
}

// Named is a policy key with its human name.
type Named struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// RecordRecipient is a recipient declared for a purpose, with what the ledger
// says was disclosed to it for that purpose.
type RecordRecipient struct {
	ID             string        `json:"id"`
	Name           string        `json:"name"`
	Kind           RecipientKind `json:"kind"`
	Countries      []string      `json:"countries"`
	Disclosures    int           `json:"disclosures"`
	LastDisclosure *time.Time    `json:"last_disclosure,omitempty"`
}

// RecordTransfers are the countries data of a purpose may reach.
type RecordTransfers struct {
	RecipientCountries []string    `json:"recipient_countries"`
	StorageCountries   []string    `json:"storage_countries"`
	TransferCountries  []string    `json:"transfer_countries"`
	Safeguards         []Safeguard `json:"safeguards"`
}

// RecordRetention is a retention rule covering some of a purpose's categories.
type RecordRetention struct {
	Rule        string   `json:"rule"`
	Categories  []string `json:"categories"`
	Duration    Duration `json:"duration"`
	Clock       Clock    `json:"clock"`
	Action      Action   `json:"action"`
	Description string   `json:"description"`
}

// BuildRecords builds one record per purpose of d, in the policy's order,
// counting the ledger's stats against the recipients declared for each
// purpose. Stats for a recipient or purpose the policy no longer declares
// are left out: the records describe the policy in force.
func BuildRecords(d *Document, stats []DisclosureStat, now time.Time) *Records {
	out := &Records{
		PolicyVersion: d.Version,
		GeneratedAt:   now.UTC(),
		Controller: Controller{LegalName: d.Operator.LegalName, ServiceName: d.Operator.ServiceName,
			Address: d.Operator.Address, Country: d.Operator.Country, Contact: slices.Clone(d.Operator.Contact)},
		Records: []ProcessingRecord{},
	}
	type pr struct{ purpose, recipient string }
	byPR := map[pr]DisclosureStat{}
	for _, st := range stats {
		byPR[pr{st.Purpose, st.Recipient}] = st
	}
	subjects := map[string]string{}
	for _, s := range d.Subjects {
		subjects[s.Key] = s.Name
	}
	categories := map[string]string{}
	for _, c := range d.Categories {
		categories[c.Key] = c.Name
	}
	for _, p := range d.Purposes {
		rec := ProcessingRecord{Purpose: p.Key, Name: p.Name, LegalBasis: p.LegalBasis,
			DataSubjects: named(p.Subjects, subjects), DataCategories: named(p.Categories, categories),
			Recipients: []RecordRecipient{}, Retention: []RecordRetention{},
			Transfers: RecordTransfers{RecipientCountries: []string{},
				StorageCountries:  slices.Clone(d.Transfers.StorageCountries),
				TransferCountries: slices.Clone(d.Transfers.TransferCountries),
				Safeguards:        slices.Clone(d.Transfers.Safeguards)}}
		for _, r := range d.Recipients {
			if !slices.Contains(r.Purposes, p.Key) {
				continue
			}
			rr := RecordRecipient{ID: r.ID, Name: r.Name, Kind: r.Kind, Countries: slices.Clone(r.Countries)}
			if st, ok := byPR[pr{p.Key, r.ID}]; ok {
				last := st.Last.UTC()
				rr.Disclosures, rr.LastDisclosure = st.Count, &last
			}
			rec.Recipients = append(rec.Recipients, rr)
			for _, c := range r.Countries {
				if !slices.Contains(rec.Transfers.RecipientCountries, c) {
					rec.Transfers.RecipientCountries = append(rec.Transfers.RecipientCountries, c)
				}
			}
		}
		for _, rule := range d.Retention {
			var cs []string
			for _, c := range rule.Categories {
				if slices.Contains(p.Categories, c) {
					cs = append(cs, c)
				}
			}
			if len(cs) == 0 {
				continue
			}
			desc := rule.Description
			if desc == "" {
				desc = fmt.Sprintf("%s from %s, then %s", rule.Duration, rule.Clock, rule.Action)
			}
			rec.Retention = append(rec.Retention, RecordRetention{Rule: rule.ID, Categories: cs, Duration: rule.Duration,
				Clock: rule.Clock, Action: rule.Action, Description: desc})
		}
		out.Records = append(out.Records, rec)
	}
	return out
}

func named(keys []string, names map[string]string) []Named {
	out := make([]Named, 0, len(keys))
	for _, k := range keys {
		out = append(out, Named{Key: k, Name: names[k]})
	}
	return out
}

// RecordsCSVHeader is the header row of the CSV form.
var RecordsCSVHeader = []string{
	"purpose", "purpose_name", "legal_basis", "controller", "controller_contact",
	"data_subjects", "data_categories", "recipient", "recipient_name", "recipient_kind",
	"recipient_countries", "storage_countries", "transfer_countries", "safeguards",
	"retention", "disclosures", "last_disclosure",
}

// WriteCSV writes rs as CSV: a header row, then one row per purpose and
// recipient (one row with empty recipient cells for a purpose nobody
// receives). Cells with several values join them with "; ".
func (rs *Records) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(RecordsCSVHeader); err != nil {
		return err
	}
	var contact []string
	for _, c := range rs.Controller.Contact {
		contact = append(contact, string(c.Channel)+": "+c.Value)
	}
	for _, r := range rs.Records {
		var retention []string
		for _, rt := range r.Retention {
			retention = append(retention, fmt.Sprintf("%s (%s from %s, then %s)", rt.Description, rt.Duration, rt.Clock, rt.Action))
		}
		base := []string{r.Purpose, r.Name, string(r.LegalBasis), rs.Controller.LegalName, join(contact),
			join(namedKeys(r.DataSubjects)), join(namedKeys(r.DataCategories))}
		tail := []string{join(r.Transfers.StorageCountries), join(r.Transfers.TransferCountries),
			join(toStrings(r.Transfers.Safeguards)), join(retention)}
		recips := r.Recipients
		if len(recips) == 0 {
			recips = []RecordRecipient{{}}
		}
		for _, rr := range recips {
			row := slices.Concat(base, []string{rr.ID, rr.Name, string(rr.Kind), join(rr.Countries)}, tail)
			count, last := "", ""
			if rr.ID != "" {
				count = strconv.Itoa(rr.Disclosures)
			}
			if rr.LastDisclosure != nil {
				last = rr.LastDisclosure.Format(time.RFC3339)
			}
			if err := cw.Write(append(row, count, last)); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func join(xs []string) string { return strings.Join(xs, "; ") }

func namedKeys(ns []Named) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Key
	}
	return out
}
