package httpapi

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestOpenAPIMatchesRoutes keeps the document and the mux in step: every
// registered route is documented and every documented operation is
// registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	var documented []string
	for path, item := range doc.Paths {
		for key := range item {
			if slices.Contains(methods, key) {
				documented = append(documented, strings.ToUpper(key)+" "+path)
			}
		}
	}
	// ServeMux wildcards may carry "..." where OpenAPI has a plain template.
	wildcard := regexp.MustCompile(`\{([a-zA-Z_]+)(\.\.\.)?\}`)
	var registered []string
	for _, r := range MustServer(t, Config{}).Routes() {
		registered = append(registered, r.Method+" "+wildcard.ReplaceAllString(r.Pattern, "{$1}"))
	}
	for _, op := range registered {
		if !slices.Contains(documented, op) {
			t.Errorf("route %s is not in openapi.json", op)
		}
	}
	for _, op := range documented {
		if !slices.Contains(registered, op) {
			t.Errorf("openapi.json documents %s, which is not registered", op)
		}
	}
	if len(registered) != len(documented) {
		t.Errorf("%d routes, %d documented operations", len(registered), len(documented))
	}
}

// TestOpenAPIReferencesResolve catches a $ref to a schema, parameter,
// header or response that does not exist, and duplicate operation ids.
func TestOpenAPIReferencesResolve(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	opIDs := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(doc, ref) {
					t.Errorf("$ref %s does not resolve", ref)
				}
			}
			if id, ok := v["operationId"].(string); ok {
				if opIDs[id] {
					t.Errorf("operationId %s is used twice", id)
				}
				opIDs[id] = true
			}
			for _, e := range v {
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(doc)
}

func resolves(doc map[string]any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for part := range strings.SplitSeq(path, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestOpenAPIServed(t *testing.T) {
	w := MustDo(t, MustServer(t, Config{}), "GET", "/openapi.json", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status = %d", w.Code)
	}
	if !json.Valid(w.Body.Bytes()) || w.Body.Len() != len(openAPIDocument) {
		t.Error("served document differs from the embedded one")
	}
}
