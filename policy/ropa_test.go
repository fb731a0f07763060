package policy

import (
	"bytes"
	"encoding/csv"
	"slices"
	"testing"
	"time"
)

func TestBuildRecords(t *testing.T) {
	d := Default()
	last := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	stats := []DisclosureStat{
		{Purpose: "essential.service", Recipient: "hosting", Count: 3, Last: last},
		{Purpose: "gone.purpose", Recipient: "hosting", Count: 9, Last: last},
	}
	rs := BuildRecords(d, stats, last)
	if len(rs.Records) != len(d.Purposes) {
		t.Fatalf("%d records, want one per purpose (%d)", len(rs.Records), len(d.Purposes))
	}
	if rs.Controller.LegalName != d.Operator.LegalName || len(rs.Controller.Contact) == 0 {
		t.Fatalf("controller = %+v", rs.Controller)
	}
	find := func(purpose string) ProcessingRecord {
		t.Helper()
		for _, r := range rs.Records {
			if r.Purpose == purpose {
				return r
			}
		}
		t.Fatalf("no record for %s", purpose)
		return ProcessingRecord{}
	}
	recip := func(r ProcessingRecord, id string) *RecordRecipient {
		for i := range r.Recipients {
			if r.Recipients[i].ID == id {
				return &r.Recipients[i]
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name, purpose, recipient string
		basis                    LegalBasis
		count                    int
		retention                []string
	}{
		{"CountedRecipient", "essential.service", "hosting", "contract", 3, []string{"personal-data", "after-account-deletion"}},
		{"UncountedRecipient", "essential.service", "database", "contract", 0, []string{"personal-data", "after-account-deletion"}},
		{"Authority", "third_party_sharing.legal_obligation", "authorities", "legal_obligation", 0, []string{"personal-data", "log-data", "after-account-deletion"}},
		{"CardData", "essential.service.payment_processing", "payment-processors", "contract", 0, []string{"personal-data", "after-account-deletion", "card-data-never-kept"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := find(tc.purpose)
			if r.LegalBasis != tc.basis || r.Name == "" || len(r.DataSubjects) == 0 || len(r.DataCategories) == 0 {
				t.Fatalf("record = %+v", r)
			}
			rr := recip(r, tc.recipient)
			if rr == nil {
				t.Fatalf("recipient %s not listed for %s", tc.recipient, tc.purpose)
			}
			if rr.Disclosures != tc.count || (tc.count > 0) != (rr.LastDisclosure != nil) {
				t.Fatalf("recipient = %+v, want %d disclosures", rr, tc.count)
			}
			var rules []string
			for _, rt := range r.Retention {
				rules = append(rules, rt.Rule)
			}
			if !slices.Equal(rules, tc.retention) {
				t.Fatalf("retention = %v, want %v", rules, tc.retention)
			}
			if len(r.Transfers.RecipientCountries) == 0 || len(r.Transfers.StorageCountries) == 0 {
				t.Fatalf("transfers = %+v", r.Transfers)
			}
		})
	}
	t.Run("NoRecipients", func(t *testing.T) {
		if r := find("personalize"); len(r.Recipients) != 0 {
			t.Fatalf("personalize has recipients %+v", r.Recipients)
		}
	})
}

func TestRecordsCSV(t *testing.T) {
	last := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	rs := BuildRecords(Default(), []DisclosureStat{{Purpose: "essential.service", Recipient: "hosting", Count: 3, Last: last}}, last)
	var buf bytes.Buffer
	if err := rs.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows[0], RecordsCSVHeader) {
		t.Fatalf("header = %v", rows[0])
	}
	col := func(name string) int { return slices.Index(RecordsCSVHeader, name) }
	var found, empty bool
	for _, row := range rows[1:] {
		if row[col("purpose")] == "essential.service" && row[col("recipient")] == "hosting" {
			found = row[col("disclosures")] == "3" && row[col("last_disclosure")] == "2026-03-04T05:06:07Z" &&
				row[col("legal_basis")] == "contract"
		}
		if row[col("purpose")] == "personalize" {
			empty = row[col("recipient")] == "" && row[col("disclosures")] == ""
		}
	}
	if !found || !empty {
		t.Fatalf("rows lack the counted recipient (%v) or the purpose without recipients (%v):\n%s", found, empty, buf.String())
	}
}
