package httpapi

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the API. It is written by hand and kept honest
// by a test that compares its operations with Server.Routes.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

func handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(openAPIDocument)
}
