// Package figma is everything figbot knows about Figma: a small REST client for the
// endpoints the bot uses, the parser for Figma links people paste, and the parser for
// webhook deliveries. It never logs; every failure comes back as an error, typed where a
// caller may want to branch on it (see errors.go).
package figma

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

	"golang.org/x/oauth2"
)

// DefaultBaseURL is the Figma REST API. Plain http gets a 403 since 2024-12-09.
const DefaultBaseURL = "https://api.figma.com"

const (
	defaultMaxWait = 2 * time.Second
	defaultTimeout = 30 * time.Second
	maxBody        = 16 << 20 // largest JSON answer read; depth=1 node answers stay far below
	maxErrorBody   = 64 << 10 // largest error body read
)

// Client calls the Figma REST API for one Figma identity. It is safe for concurrent use.
type Client struct {
	base     string
	hc       *http.Client
	token    string
	ts       oauth2.TokenSource
	limiter  Limiter
	identity string
	maxWait  time.Duration
}

// Option configures a Client in NewClient.
type Option func(*Client)

// NewClient returns a client for the API at baseURL ("" means DefaultBaseURL). Without
// WithToken or WithTokenSource it sends no credentials, which only suits the fake server's
// refusal tests.
func NewClient(baseURL string, opts ...Option) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	c := &Client{
		base:    strings.TrimRight(baseURL, "/"),
		hc:      &http.Client{Timeout: defaultTimeout},
		maxWait: defaultMaxWait,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c
}

// WithToken authenticates with a personal access token, sent as X-Figma-Token. It replaces
// a token source set earlier.
func WithToken(pat string) Option {
	return func(c *Client) {
		c.token, c.ts = pat, nil
	}
}

// WithTokenSource authenticates with OAuth tokens from ts, sent as "Authorization: Bearer".
// It replaces a personal token set earlier. A nil ts is ignored.
func WithTokenSource(ts oauth2.TokenSource) Option {
	return func(c *Client) {
		if ts != nil {
			c.token, c.ts = "", ts
		}
	}
}

// WithHTTPClient sets the HTTP client (default: a client with a 30 s timeout). It must add
// no credentials itself: Download sends its requests to storage hosts without any. A nil
// client is ignored.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.hc = hc
		}
	}
}

// WithLimiter makes every API call take one unit of identity's budget for the call's tier
// before it is sent; identity names the Figma user, plan or app whose budget is shared.
// Download is not counted: render URLs are storage, not API.
func WithLimiter(l Limiter, identity string) Option {
	return func(c *Client) {
		c.limiter, c.identity = l, identity
	}
}

// WithMaxWait sets how long one call may wait in total for the budget (default 2 s; a
// negative value means 0: never wait). A longer wait returns a *RateLimitError with Local set.
func WithMaxWait(d time.Duration) Option {
	return func(c *Client) {
		c.maxWait = max(d, 0)
	}
}

// call performs one API call: build the request, take the budget, send, decode into out
// (when out is not nil).
func (c *Client) call(ctx context.Context, tier Tier, method, path string,
	q url.Values, in, out any) error {
	req, err := c.newRequest(ctx, method, path, q, in)
	if err != nil {
		return err
	}

	if err := c.reserve(ctx, tier); err != nil {
		return err
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return scrubURLError(err)
	}
	defer drainClose(resp.Body)

	return decodeResponse(resp, method, path, out)
}

func (c *Client) newRequest(ctx context.Context, method, path string,
	q url.Values, in any) (*http.Request, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}

	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}

	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	return req, c.authorize(req)
}

// authorize sets the credentials. A token source error is returned as is: it comes from
// the caller's own token store or Figma's token endpoint, never carries the token, and
// callers need errors.As on *oauth2.RetrieveError to tell a revoked grant apart.
func (c *Client) authorize(req *http.Request) error {
	switch {
	case c.ts != nil:
		tok, err := c.ts.Token()
		if err != nil {
			return fmt.Errorf("get oauth token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	case c.token != "":
		req.Header.Set("X-Figma-Token", c.token)
	}
	return nil
}

func decodeResponse(resp *http.Response, method, path string, out any) error {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body, _ := readLimited(resp.Body, maxErrorBody)
		return responseError(resp, body, method, path)
	}

	body, err := readLimited(resp.Body, maxBody)
	if err != nil {
		return err
	}

	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("decode %s %s: %w", method, path, err)
	}
	return nil
}

// readLimited reads at most limit bytes and fails with ErrTooLarge beyond that.
func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", ErrTooLarge, limit)
	}
	return b, nil
}

// drainClose reads a little of what is left so the connection can be reused, then closes.
func drainClose(rc io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(rc, 4<<10))
	_ = rc.Close()
}

// scrubURLError removes the query from the URL inside a transport error. Render URLs are
// pre-signed: their query is a credential and must not reach logs through an error.
func scrubURLError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	scrubbed := *ue
	scrubbed.URL = redactURL(ue.URL)
	return &scrubbed
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid url)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

// escape makes one path segment safe; keys and ids are plain, but callers pass user input.
func escape(seg string) string {
	return url.PathEscape(seg)
}
