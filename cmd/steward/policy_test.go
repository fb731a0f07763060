package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stewardhq/steward/policy"
)

// writePolicy writes a policy file into a temp dir and returns its path.
func writePolicy(tb testing.TB, body string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "policy.json")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// initPolicy returns the output of `steward policy init`.
func initPolicy(tb testing.TB) string {
	tb.Helper()
	return MustCLI(tb, nil, "policy", "init")
}

func exitCode(err error) int {
	var ex exitError
	if errors.As(err, &ex) {
		return int(ex)
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestPolicyInit(t *testing.T) {
	out := initPolicy(t)
	if _, err := policy.Parse([]byte(out)); err != nil {
		t.Fatalf("init output does not validate: %v", err)
	}
	want, err := policy.Marshal(policy.Default())
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatal("init output is not the default policy")
	}
	if strings.Contains(out, "$platform") || strings.Contains(out, "$elnombre") {
		t.Fatal("init output carries the seed's placeholders")
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		out, errOut, err := runCLI(nil, "policy", "validate", writePolicy(t, initPolicy(t)))
		if err != nil || out != "valid\n" {
			t.Fatalf("out %q, err %v, stderr %s", out, err, errOut)
		}
		// The default's assumptions stay visible until the operator
		// confirms them.
		if !strings.Contains(errOut, "assumptions to confirm") || !strings.Contains(errOut, "changes.notice_period:") {
			t.Errorf("stderr does not list the assumptions: %s", errOut)
		}
	})
	t.Run("ErrProblems", func(t *testing.T) {
		doc := initPolicy(t)
		doc = strings.Replace(doc, `"minimum_age": 13`, `"minimum_age": 9`, 1)
		doc = strings.Replace(doc, `"duration": "P60D"`, `"duration": "-P60D"`, 1)
		doc = strings.Replace(doc, `"legal_basis": "consent"`, `"legal_basis": "because"`, 1)
		doc = strings.Replace(doc, `"country": "RU",`+"\n    \"governing_law\"", `"country": "Russia",`+"\n    \"governing_law\"", 1)
		doc = strings.Replace(doc, `"purposes": [`+"\n        \"third_party_sharing\"\n      ]", `"purposes": [`+"\n        \"sales\"\n      ]", 1)
		out, errOut, err := runCLI(nil, "policy", "validate", writePolicy(t, doc))
		if exitCode(err) != 1 {
			t.Fatalf("exit %d (%v), want 1; stderr %s", exitCode(err), err, errOut)
		}
		for _, want := range []string{
			"minimum_age: minimum_age is 9",
			"retention[2].duration: -P60D is negative",
			"purposes[4].legal_basis: \"because\" is not a known legal basis",
			"operator.country: \"Russia\" is not an ISO 3166-1 alpha-2 country code",
			"recipients[0].purposes[0]: purpose \"sales\" is not declared in purposes",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if strings.Contains(out, "valid\n") || !strings.Contains(errOut, "refused whole") {
			t.Errorf("out %q, stderr %q", out, errOut)
		}
	})
	t.Run("ErrPlaceholder", func(t *testing.T) {
		doc := strings.Replace(initPolicy(t), `"legal_name": "JSC MST"`, `"legal_name": "[COMPANY]"`, 1)
		doc = strings.Replace(doc, "mst.software uses sessions", "$elnombre uses sessions", 1)
		out, _, err := runCLI(nil, "policy", "validate", writePolicy(t, doc))
		if exitCode(err) != 1 {
			t.Fatalf("exit %d, want 1", exitCode(err))
		}
		for _, want := range []string{`operator.legal_name: contains the template placeholder "[COMPANY]"`, `tracking[3].description: contains the template placeholder "$elnombre"`} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("ErrUnknownField", func(t *testing.T) {
		doc := strings.Replace(initPolicy(t), `"minimum_age": 13,`, `"minimum_age": 13, "maximum_age": 99,`, 1)
		doc = strings.Replace(doc, `"clock": "collection",`, `"clock": "collection", "colour": "red",`, 1)
		out, _, err := runCLI(nil, "policy", "validate", writePolicy(t, doc))
		if exitCode(err) != 1 {
			t.Fatalf("exit %d, want 1", exitCode(err))
		}
		for _, want := range []string{`maximum_age: unknown member "maximum_age"; did you mean "minimum_age"?`, `retention[0].colour: unknown member "colour"`} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("JSON", func(t *testing.T) {
		doc := strings.Replace(initPolicy(t), `"minimum_age": 13`, `"minimum_age": 200`, 1)
		out, _, err := runCLI(nil, "policy", "validate", "--json", writePolicy(t, doc))
		if exitCode(err) != 1 {
			t.Fatalf("exit %d, want 1", exitCode(err))
		}
		var ps []policy.Problem
		if err := json.Unmarshal([]byte(out), &ps); err != nil {
			t.Fatalf("not a JSON list: %v\n%s", err, out)
		}
		if len(ps) != 1 || ps[0].Path != "minimum_age" || ps[0].Code != policy.CodeOutOfRange {
			t.Fatalf("problems = %+v", ps)
		}
	})
	t.Run("JSONValidFlagAfterFile", func(t *testing.T) {
		out, _, err := runCLI(nil, "policy", "validate", writePolicy(t, initPolicy(t)), "--json")
		if err != nil || strings.TrimSpace(out) != "[]" {
			t.Fatalf("out %q, err %v", out, err)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		out, _, err := runCLI(nil, "policy", "validate", writePolicy(t, "{\n  \"operator\": \n"))
		if exitCode(err) != 1 || !strings.HasPrefix(out, "(document): ") {
			t.Fatalf("exit %d, out %q", exitCode(err), out)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		var out, errOut strings.Builder
		err := run(t.Context(), []string{"policy", "validate", "-"}, envFunc(), strings.NewReader(initPolicy(t)), &out, &errOut)
		if err != nil || out.String() != "valid\n" {
			t.Fatalf("out %q, err %v", out.String(), err)
		}
	})
	t.Run("ErrMissingFile", func(t *testing.T) {
		_, _, err := runCLI(nil, "policy", "validate", filepath.Join(t.TempDir(), "nope.json"))
		if err == nil || exitCode(err) != -1 || !strings.Contains(err.Error(), "nope.json") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{{"policy"}, {"policy", "validate"}, {"policy", "validate", "a", "b"}, {"policy", "init", "extra"}, {"policy", "frobnicate"}} {
			_, errOut, err := runCLI(nil, args...)
			if exitCode(err) != 2 || !strings.Contains(errOut, "usage: steward policy") {
				t.Errorf("%v: exit %d, stderr %q", args, exitCode(err), errOut)
			}
		}
	})
}

func TestPolicySchema(t *testing.T) {
	out := MustCLI(t, nil, "policy", "schema")
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil || v["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Fatalf("schema output: %v", err)
	}
}
