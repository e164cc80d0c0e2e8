// Package b24 is figbot's Bitrix24 client: it parses B24 event bodies, calls the classic REST
// API with a portal's OAuth token, and refreshes that token through the OAuth server. It never
// logs; it returns typed errors (see errors.go).
package b24

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	defaultMaxWait = time.Second
	// B24 ends every request at 60 s (https://apidocs.bitrix24.com/limits.html); a little
	// more covers the network.
	defaultHTTPTimeout = 70 * time.Second
	maxResultBody      = 32 << 20
	maxErrorBody       = 64 << 10
)

// Credentials are a portal's stored OAuth data.
type Credentials struct {
	MemberID       string
	Domain         string
	ClientEndpoint string // like "https://x.bitrix24.com/rest/"
	AccessToken    string
	RefreshToken   string
	Expires        time.Time
}

// CredentialSource gives a portal's stored credentials and refreshes them. The bot implements it
// over Redis (one refresh per portal across processes); the client only calls it.
type CredentialSource interface {
	// Credentials returns the stored credentials of the portal.
	Credentials(ctx context.Context, memberID string) (Credentials, error)
	// Refresh gets new tokens after B24 answered expired_token to stale, stores and returns
	// them. If another caller refreshed already, it returns the stored newer credentials.
	Refresh(ctx context.Context, memberID string, stale Credentials) (Credentials, error)
	// EndpointMoved records that the portal now answers at newEndpoint (B24 answered 302).
	EndpointMoved(ctx context.Context, memberID, newEndpoint string) error
}

// Limiter budgets calls per portal. Reserve takes one call from the budget and says how long the
// caller must wait before sending it. The client reserves once per HTTP request it sends: a retry
// after a refresh and a POST re-sent to a moved portal reserve again.
type Limiter interface {
	Reserve(ctx context.Context, memberID string) (time.Duration, error)
}

// Client calls the B24 REST API on behalf of installed portals. It is safe for concurrent use.
type Client struct {
	src     CredentialSource
	http    *http.Client
	limiter Limiter
	maxWait time.Duration
	policy  HostPolicy
	now     func() time.Time
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (default: one with a 70 s timeout). The client is copied
// and its copy never follows redirects: net/http would turn the POST into a GET.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithLimiter sets the per-portal limiter (default: none).
func WithLimiter(l Limiter) Option {
	return func(c *Client) { c.limiter = l }
}

// WithMaxWait sets the longest wait for the limiter the client accepts (default 1 s). A longer
// wait returns a *RateLimitError without calling B24, so that the queue can retry the task
// later instead of holding a worker. Negative values mean 0.
func WithMaxWait(d time.Duration) Option {
	return func(c *Client) { c.maxWait = max(d, 0) }
}

// WithHostPolicy sets which portal endpoints may be called (default: DefaultHostPolicy).
func WithHostPolicy(p HostPolicy) Option {
	return func(c *Client) { c.policy = p }
}

// NewClient returns a Client that takes credentials from src.
func NewClient(src CredentialSource, opts ...Option) *Client {
	c := &Client{
		src:     src,
		http:    &http.Client{Timeout: defaultHTTPTimeout},
		maxWait: defaultMaxWait,
		policy:  DefaultHostPolicy(),
		now:     time.Now,
	}
	for _, opt := range opts {
		opt(c)
	}

	c.http = withoutRedirects(c.http)
	return c
}

func withoutRedirects(hc *http.Client) *http.Client {
	cp := *hc
	cp.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &cp
}

// ListResult receives a list method's answer: pass a *ListResult as Call's out to see the
// "total" and "next" fields next to the raw result.
type ListResult struct {
	Result json.RawMessage
	Total  int
	Next   int // start of the next page; 0 when HasNext is false
	// HasNext reports whether B24 sent "next".
	HasNext bool
}

// Decode decodes the raw result into v.
func (l *ListResult) Decode(v any) error {
	return json.Unmarshal(l.Result, v)
}

type envelope struct {
	Result           json.RawMessage `json:"result"`
	Error            json.RawMessage `json:"error"`
	ErrorDescription string          `json:"error_description"`
	Total            *int            `json:"total"`
	Next             *int            `json:"next"`
}

// Call calls a REST method: POST {client_endpoint}{method} with params as a JSON object plus
// "auth" (never in the URL). params is nil, a map, a struct, or Ordered when the method reads
// its parameters by position. The result is decoded into out: nil, a *ListResult, a
// *json.RawMessage, or any value encoding/json can fill.
//
// On expired_token Call refreshes the token once through the CredentialSource and retries once.
// A 301/302/307/308 answer means the portal moved: the same POST is sent to the new address if
// it passes the HostPolicy, then the CredentialSource learns the new endpoint.
// https://apidocs.bitrix24.com/settings/how-to-call-rest-api/change-domen.html
func (c *Client) Call(ctx context.Context, memberID, method string, params, out any) error {
	payload, err := marshalParams(params)
	if err != nil {
		return fmt.Errorf("b24: %s: encode params: %w", method, err)
	}

	creds, err := c.src.Credentials(ctx, memberID)
	if err != nil {
		return fmt.Errorf("b24: %s: credentials: %w", method, err)
	}

	err = c.send(ctx, memberID, &creds, method, payload, out)
	if !errors.Is(err, ErrTokenExpired) {
		return err
	}

	fresh, err := c.src.Refresh(ctx, memberID, creds)
	if err != nil {
		return fmt.Errorf("b24: %s: refresh token: %w", method, err)
	}

	return c.send(ctx, memberID, &fresh, method, payload, out)
}

// marshalParams encodes params as a JSON object.
func marshalParams(params any) ([]byte, error) {
	if params == nil {
		return []byte("{}"), nil
	}

	data, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}

	if len(data) < 2 || data[0] != '{' {
		return nil, errors.New("params must encode as a JSON object")
	}

	return data, nil
}

// withAuth appends "auth" as the object's last member, so that it does not move parameters
// that B24 reads by position (task.commentitem.add wants TASKID first).
func withAuth(payload []byte, token string) []byte {
	tok, _ := json.Marshal(token)
	body := make([]byte, 0, len(payload)+len(tok)+10)
	body = append(body, payload[:len(payload)-1]...)
	if len(payload) > 2 {
		body = append(body, ',')
	}

	body = append(body, `"auth":`...)
	body = append(body, tok...)
	return append(body, '}')
}

// send makes one logical call: a POST, and a second one if the portal moved.
func (c *Client) send(ctx context.Context, memberID string, creds *Credentials,
	method string, payload []byte, out any) error {
	body := withAuth(payload, creds.AccessToken)
	resp, err := c.post(ctx, memberID, creds.ClientEndpoint, method, body)
	if err != nil {
		return err
	}

	if isRedirect(resp.StatusCode) {
		resp, err = c.followMove(ctx, memberID, creds, method, body, resp)
		if err != nil {
			return err
		}
	}

	defer resp.Body.Close()
	return c.decode(resp, method, out)
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// followMove re-sends body to the portal's new address and records the move.
func (c *Client) followMove(ctx context.Context, memberID string, creds *Credentials,
	method string, body []byte, moved *http.Response) (*http.Response, error) {
	endpoint, err := movedEndpoint(moved)
	drain(moved)
	if err != nil {
		return nil, fmt.Errorf("b24: %s: portal moved: %w", method, err)
	}

	resp, err := c.post(ctx, memberID, endpoint, method, body)
	if err != nil {
		return nil, err
	}

	if isRedirect(resp.StatusCode) {
		drain(resp)
		return nil, fmt.Errorf("b24: %s: portal moved twice in one call", method)
	}

	if err := c.src.EndpointMoved(ctx, memberID, endpoint); err != nil {
		drain(resp)
		return nil, fmt.Errorf("b24: %s: record moved endpoint: %w", method, err)
	}

	creds.ClientEndpoint = endpoint
	return resp, nil
}

// movedEndpoint derives the new client endpoint from a redirect: the new scheme and host, and
// the path up to "/rest/". The query is dropped; it may carry a token.
func movedEndpoint(resp *http.Response) (string, error) {
	loc, err := resp.Location()
	if err != nil {
		return "", errors.New("redirect without a usable Location")
	}

	u := url.URL{Scheme: loc.Scheme, Host: loc.Host, Path: "/rest/"}
	if i := strings.LastIndex(loc.Path, "/rest/"); i >= 0 {
		u.Path = loc.Path[:i+len("/rest/")]
	}

	return u.String(), nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBody))
	_ = resp.Body.Close()
}

// post checks the endpoint, waits for the limiter and sends one request.
func (c *Client) post(ctx context.Context, memberID, endpoint, method string,
	body []byte) (*http.Response, error) {
	if err := c.policy.Check(endpoint); err != nil {
		return nil, fmt.Errorf("b24: %s: %w", method, err)
	}

	if err := c.wait(ctx, memberID, method); err != nil {
		return nil, err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint+method,
		bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("b24: %s: build request: %w", method, scrubError(err))
	}

	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("b24: %s: %w", method, scrubError(err))
	}

	return resp, nil
}

// wait reserves a call from the limiter and sleeps until it may go, honouring ctx.
func (c *Client) wait(ctx context.Context, memberID, method string) error {
	if c.limiter == nil {
		return nil
	}

	// Reserve takes nothing when it says "wait", so after waiting the call asks again; the
	// total wait is bounded by maxWait, after which the task is parked instead.
	deadline := time.Now().Add(c.maxWait)
	for {
		d, err := c.limiter.Reserve(ctx, memberID)
		if err != nil {
			return fmt.Errorf("b24: %s: limiter: %w", method, err)
		}

		if d <= 0 {
			return nil
		}

		if time.Until(deadline) < d {
			return &RateLimitError{RetryAfter: d, Code: codeQueryLimit, Method: method,
				Local: true}
		}

		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("b24: %s: %w", method, ctx.Err())
		case <-t.C:
		}
	}
}

// decode reads an answer through a size limit and fills out or returns the error it carries.
func (c *Client) decode(resp *http.Response, method string, out any) error {
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := int64(maxErrorBody)
	if ok {
		limit = maxResultBody
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return fmt.Errorf("b24: %s: read answer: %w", method, err)
	}

	if !ok {
		return responseError(method, resp.StatusCode, data, c.now())
	}

	if int64(len(data)) > limit {
		return fmt.Errorf("b24: %s: answer larger than %d bytes", method, limit)
	}

	return decodeResult(method, resp.StatusCode, data, out, c.now())
}

func decodeResult(method string, status int, data []byte, out any, now time.Time) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return fmt.Errorf("b24: %s: malformed answer: %w", method, err)
	}

	if len(env.Error) > 0 && !bytes.Equal(env.Error, []byte("null")) {
		return responseError(method, status, data, now)
	}

	if err := fillOut(env, out); err != nil {
		return fmt.Errorf("b24: %s: decode result: %w", method, err)
	}

	return nil
}

func fillOut(env envelope, out any) error {
	switch o := out.(type) {
	case nil:
		return nil
	case *json.RawMessage:
		*o = append((*o)[:0], env.Result...)
		return nil
	case *ListResult:
		o.Result = env.Result
		o.Total, o.Next, o.HasNext = 0, 0, env.Next != nil
		if env.Total != nil {
			o.Total = *env.Total
		}
		if env.Next != nil {
			o.Next = *env.Next
		}
		return nil
	default:
		return json.Unmarshal(env.Result, out)
	}
}
