package sqlstore

import (
	jsonv2 "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/stewardhq/steward"
)

// A sealed profile is the JSON encoding/json gives it. It is coded with
// github.com/go-json-experiment/json, the mirror of Go 1.27's
// encoding/json/v2, in its v1 mode, which keeps encoding/json's semantics
// and its output (a fuzz test holds the two equal; only invalid UTF-8,
// which never reaches a stored value, comes out as an unescaped U+FFFD, as
// with Go 1.27's own encoding/json): decoding the profile was the largest
// share of a find's CPU after SQLite and HTTP (8% at a million subjects),
// and this decodes it in half the time.

var v1Semantics = jsonv1.DefaultOptionsV1()

func encodeProfile(p *steward.Profile) ([]byte, error) { return jsonv2.Marshal(p, v1Semantics) }

func decodeProfile(b []byte, p *steward.Profile) error { return jsonv2.Unmarshal(b, p, v1Semantics) }
