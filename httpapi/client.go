package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/stewardhq/steward"
)

// maxResponseBytes bounds how much of an answer the client reads, so a
// misbehaving server cannot exhaust the caller's memory.
const maxResponseBytes = 64 << 20

// Client calls a Steward server's /v1 API for one tenant's API key. Its
// methods return the server's domain errors as *StatusError, which unwraps
// to *steward.Error, so callers can use errors.As or steward.ErrorCode.
type Client struct {
	base    string // Absolute URL without a trailing slash.
	baseErr error
	token   string
	http    *http.Client
}

// NewClient returns a client for the server at baseURL (such as
// "https://steward.example.com") authenticating with token. A nil
// httpClient means http.DefaultClient.
func NewClient(baseURL, token string, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), token: token, http: httpClient}
	// A bad base URL is reported by every call, where callers handle errors
	// anyway, so the constructor stays error-free.
	if u, err := url.Parse(c.base); err != nil || u.Scheme == "" || u.Host == "" || u.RawQuery != "" {
		c.baseErr = fmt.Errorf("steward client: base URL must be absolute, like https://steward.example.com")
	}
	return c
}

// StatusError is an error answer from the server: the HTTP status, the
// request id to quote to the operator and the domain error it carried.
type StatusError struct {
	Status    int
	RequestID string
	Err       *steward.Error
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("steward API: HTTP %d (request id %s): %v", e.Status, e.RequestID, e.Err)
}

// Unwrap returns the domain error, so errors.As(err, &stewardErr) works.
func (e *StatusError) Unwrap() error { return e.Err }

// CreateSubject creates a subject. A non-empty idempotencyKey makes the call
// safe to retry: a retry returns the subject the first call created.
func (c *Client) CreateSubject(ctx context.Context, in steward.SubjectInput, idempotencyKey string) (*steward.Subject, error) {
	var sub steward.Subject
	err := c.do(ctx, http.MethodPost, "/v1/subjects", nil, "application/json", in, idempotencyKey, &sub)
	return orNil(&sub, err)
}

// Subject returns one subject.
func (c *Client) Subject(ctx context.Context, id string) (*steward.Subject, error) {
	var sub steward.Subject
	err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(id), nil, "", nil, "", &sub)
	return orNil(&sub, err)
}

// FindSubjectByEmail returns the subject with this email; a *steward.Error
// with code not_found when there is none.
func (c *Client) FindSubjectByEmail(ctx context.Context, email string) (*steward.Subject, error) {
	return c.findSubject(ctx, map[string]string{"email": email})
}

// FindSubjectByUsername returns the subject with this username; a
// *steward.Error with code not_found when there is none.
func (c *Client) FindSubjectByUsername(ctx context.Context, username string) (*steward.Subject, error) {
	return c.findSubject(ctx, map[string]string{"username": username})
}

// findSubject uses POST /v1/subjects/lookup, so the value never appears in
// a URL that proxies or access logs might keep.
func (c *Client) findSubject(ctx context.Context, by map[string]string) (*steward.Subject, error) {
	var list listResponse[*steward.Subject]
	if err := c.do(ctx, http.MethodPost, "/v1/subjects/lookup", nil, "application/json", by, "", &list); err != nil {
		return nil, err
	}
	if len(list.Data) == 0 || list.Data[0] == nil {
		return nil, steward.Errorf(steward.ENotFound, "", "subject not found")
	}
	return list.Data[0], nil
}

// ListSubjects returns one page of subjects and the cursor of the next
// page, empty on the last one.
func (c *Client) ListSubjects(ctx context.Context, p steward.Page) ([]*steward.Subject, string, error) {
	var list listResponse[*steward.Subject]
	err := c.do(ctx, http.MethodGet, "/v1/subjects", pageQuery(p), "", nil, "", &list)
	return list.Data, list.Next, err
}

// UpdateSubject applies a JSON merge patch: a json.RawMessage is sent as
// is, anything else (such as a map[string]any or a struct) is marshalled.
func (c *Client) UpdateSubject(ctx context.Context, id string, patch any) (*steward.Subject, error) {
	var sub steward.Subject
	err := c.do(ctx, http.MethodPatch, "/v1/subjects/"+url.PathEscape(id), nil, "application/merge-patch+json", patch, "", &sub)
	return orNil(&sub, err)
}

// EraseSubject erases a subject and returns the receipt.
func (c *Client) EraseSubject(ctx context.Context, id string) (*steward.ErasureReceipt, error) {
	var rec steward.ErasureReceipt
	err := c.do(ctx, http.MethodDelete, "/v1/subjects/"+url.PathEscape(id), nil, "", nil, "", &rec)
	return orNil(&rec, err)
}

// AddMessage records a message of a subject's conversation; idempotencyKey
// works as for CreateSubject.
func (c *Client) AddMessage(ctx context.Context, subjectID string, in steward.MessageInput, idempotencyKey string) (*steward.Message, error) {
	var msg steward.Message
	err := c.do(ctx, http.MethodPost, "/v1/subjects/"+url.PathEscape(subjectID)+"/messages", nil, "application/json", in, idempotencyKey, &msg)
	return orNil(&msg, err)
}

// Messages returns one page of a subject's messages, oldest first.
func (c *Client) Messages(ctx context.Context, subjectID string, p steward.Page) ([]*steward.Message, string, error) {
	var list listResponse[*steward.Message]
	err := c.do(ctx, http.MethodGet, "/v1/subjects/"+url.PathEscape(subjectID)+"/messages", pageQuery(p), "", nil, "", &list)
	return list.Data, list.Next, err
}

// AuditEntries returns one page of the tenant's audit log, only entries
// about subjectID when it is not empty.
func (c *Client) AuditEntries(ctx context.Context, subjectID string, p steward.Page) ([]*steward.AuditEntry, string, error) {
	q := pageQuery(p)
	if subjectID != "" {
		q.Set("subject_id", subjectID)
	}
	var list listResponse[*steward.AuditEntry]
	err := c.do(ctx, http.MethodGet, "/v1/audit", q, "", nil, "", &list)
	return list.Data, list.Next, err
}

// Checkpoint returns the latest signed checkpoint of the tenant's log and
// its verifier key. Callers should verify the note with a key they obtained
// out of band, not only with the one returned here.
func (c *Client) Checkpoint(ctx context.Context) (*CheckpointResponse, error) {
	var cp CheckpointResponse
	err := c.do(ctx, http.MethodGet, "/v1/audit/checkpoint", nil, "", nil, "", &cp)
	return orNil(&cp, err)
}

// InclusionProof proves entry index is in the tree of the given size; size
// 0 means the latest checkpoint's.
func (c *Client) InclusionProof(ctx context.Context, index, size int64) (*InclusionProofResponse, error) {
	q := url.Values{"index": {strconv.FormatInt(index, 10)}}
	if size > 0 {
		q.Set("size", strconv.FormatInt(size, 10))
	}
	var p InclusionProofResponse
	err := c.do(ctx, http.MethodGet, "/v1/audit/proof/inclusion", q, "", nil, "", &p)
	return orNil(&p, err)
}

// ConsistencyProof proves the tree of size from is a prefix of the tree of
// size to.
func (c *Client) ConsistencyProof(ctx context.Context, from, to int64) (*ConsistencyProofResponse, error) {
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "to": {strconv.FormatInt(to, 10)}}
	var p ConsistencyProofResponse
	err := c.do(ctx, http.MethodGet, "/v1/audit/proof/consistency", q, "", nil, "", &p)
	return orNil(&p, err)
}

func pageQuery(p steward.Page) url.Values {
	q := url.Values{}
	if p.Limit != 0 {
		q.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.After != "" {
		q.Set("after", p.After)
	}
	return q
}

func orNil[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}

// do sends one request and decodes a 2xx answer into out, or turns an
// error answer into a *StatusError.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, contentType string, in any, idemKey string, out any) error {
	if c.baseErr != nil {
		return c.baseErr
	}
	// path is already escaped segment by segment, so the URL is built as
	// text and ids keep escapes such as %2F.
	target := c.base + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, ok := in.(json.RawMessage)
		if !ok {
			var err error
			if b, err = json.Marshal(in); err != nil {
				return fmt.Errorf("steward client: encode request: %w", err)
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return fmt.Errorf("steward client: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("steward client: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return fmt.Errorf("steward client: read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return statusError(resp, raw)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("steward client: decode answer: %w", err)
	}
	return nil
}

// statusError builds the error for a non-2xx answer. An answer without the
// error envelope (say, from a proxy) still gets a code matching its status.
func statusError(resp *http.Response, raw []byte) error {
	se := &StatusError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id")}
	var env ErrorResponse
	if err := json.Unmarshal(raw, &env); err == nil && env.Error.Code != "" {
		se.Err = &steward.Error{Code: env.Error.Code, Message: env.Error.Message, Field: env.Error.Field}
		return se
	}
	se.Err = &steward.Error{Code: codeForStatus(resp.StatusCode), Message: http.StatusText(resp.StatusCode)}
	return se
}

// codeForStatus inverts the status table for answers that carry no code,
// picking the general code where several share a status.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return steward.EInvalid
	case http.StatusUnprocessableEntity:
		return steward.EUnprocessable
	}
	for code, st := range statusByCode {
		if st == status {
			return code
		}
	}
	return steward.EInternal
}
