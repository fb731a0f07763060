package policy

import (
	"bytes"
	_ "embed"
)

// schemaJSON describes the document as a JSON Schema (draft 2020-12), for
// editors and for clients of GET /v1/policy/schema. It checks the shape:
// members, types, vocabularies and patterns. Validate checks the rest
// (references, taxonomy keys, retention coverage), which a schema cannot
// express. Tests keep it in step with the Go types and vocabularies.
//
//go:embed schema.json
var schemaJSON []byte

// Schema returns a copy of the policy document's JSON Schema.
func Schema() []byte { return bytes.Clone(schemaJSON) }
