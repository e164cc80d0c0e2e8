package figma

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinels that an *APIError matches through errors.Is. They exist for the cases the bot
// branches on: asking a user to reconnect, to grant a scope, to share a file, and so on.
var (
	// ErrInvalidToken means Figma refused the token as invalid or expired (403, or 401).
	ErrInvalidToken = errors.New("figma: invalid or expired token")
	// ErrMissingScope means the token lacks an OAuth scope the endpoint needs (403).
	ErrMissingScope = errors.New("figma: token lacks a required scope")
	// ErrNoAccess means the token's user may not see the file or resource (other 403).
	ErrNoAccess = errors.New("figma: no access")
	// ErrNotExportable means the file's owner forbids viewers to copy or export it (403).
	ErrNotExportable = errors.New("figma: file does not allow export")
	// ErrNotFound means the file, node set or webhook does not exist (404).
	ErrNotFound = errors.New("figma: not found")
	// ErrBadRequest means Figma rejected the parameters or the request was too large (400).
	ErrBadRequest = errors.New("figma: bad request")
	// ErrTooLarge means a response or download was bigger than the limit the caller set.
	ErrTooLarge = errors.New("figma: response too large")
	// ErrNotImage means a downloaded render is neither a PNG nor a JPEG.
	ErrNotImage = errors.New("figma: download is not a PNG or JPEG image")
)

// APIError is an error answer from the Figma REST API other than a 429.
type APIError struct {
	Status  int    // HTTP status code
	Message string // Figma's "err" or "message" text, or the status text
	Method  string // HTTP method of the call
	Path    string // request path without query; tokens never appear in it
}

// Error reports the call and Figma's answer.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// Is reports whether target is the sentinel that classifies this error, so callers can
// write errors.Is(err, figma.ErrNotFound).
func (e *APIError) Is(target error) bool {
	kind := e.kind()
	return kind != nil && kind == target
}

func (e *APIError) kind() error {
	switch e.Status {
	case http.StatusBadRequest:
		return ErrBadRequest
	case http.StatusUnauthorized:
		return ErrInvalidToken
	case http.StatusForbidden:
		return classify403(e.Message)
	case http.StatusNotFound:
		return ErrNotFound
	}
	return nil
}

// forbiddenTable turns Figma's 403 texts into sentinels. Figma answers every 403 with the
// same status and tells the causes apart only by text ({"status":403,"err":"Invalid token"},
// "Invalid scope(s): ..." as seen in figma/code-connect issue #303), so this table is the
// one place where the package reads error text. Order matters: the first match wins, and a
// scope message may mention the token.
var forbiddenTable = []struct {
	words []string
	err   error
}{
	{[]string{"scope"}, ErrMissingScope},
	{[]string{"export", "copy"}, ErrNotExportable},
	{[]string{"token", "expired"}, ErrInvalidToken},
}

func classify403(msg string) error {
	lower := strings.ToLower(msg)
	for _, row := range forbiddenTable {
		for _, w := range row.words {
			if strings.Contains(lower, w) {
				return row.err
			}
		}
	}
	return ErrNoAccess
}

// isRenderFailure reports whether err is the images endpoint giving up on a render: a 400
// whose text says "render timeout", or a 500, which Figma documents as "most commonly" a
// render too large (docs /rest-api/errors). Both are worth retrying with fewer nodes.
func isRenderFailure(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	if ae.Status == http.StatusInternalServerError {
		return true
	}
	lower := strings.ToLower(ae.Message)
	return ae.Status == http.StatusBadRequest && strings.Contains(lower, "render timeout")
}

// RateLimitError is a 429 from Figma, or a call the client did not make because the shared
// budget (see WithLimiter) would have made it wait longer than MaxWait.
type RateLimitError struct {
	RetryAfter  time.Duration // how long to wait; Figma has asked for days, so cap it
	PlanTier    string        // X-Figma-Plan-Tier: enterprise, org, pro, starter, student
	LimitType   string        // X-Figma-Rate-Limit-Type: low (View/Collab seat) or high
	UpgradeLink string        // X-Figma-Upgrade-Link
	Local       bool          // true when the local budget refused and Figma was not called
}

// Error says who refused and how long to wait.
func (e *RateLimitError) Error() string {
	if e.Local {
		return fmt.Sprintf("figma: rate budget exhausted, retry after %s", e.RetryAfter)
	}
	s := fmt.Sprintf("figma: rate limited, retry after %s", e.RetryAfter)
	if e.LimitType != "" || e.PlanTier != "" {
		s += fmt.Sprintf(" (plan %q, limit %q)", e.PlanTier, e.LimitType)
	}
	return s
}

// RenderError is a per-node render failure inside a Render result.
type RenderError struct {
	NodeID string // node in API form, "1:2"
	Reason string // what went wrong, in plain words
}

// Error names the node and the reason.
func (e *RenderError) Error() string {
	return fmt.Sprintf("figma: render node %s: %s", e.NodeID, e.Reason)
}

// defaultRetryAfter applies when a 429 carries no usable Retry-After header.
const defaultRetryAfter = 60 * time.Second

// errorBody covers both error shapes of facts §5: {"status":n,"err":"..."} and
// {"error":true,"status":n,"message":"..."}. Err is a pointer because the images endpoint
// sends "err": null on success.
type errorBody struct {
	Err     *string `json:"err"`
	Message string  `json:"message"`
}

func errorMessage(status int, body []byte) string {
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		if eb.Err != nil && *eb.Err != "" {
			return *eb.Err
		}
		if eb.Message != "" {
			return eb.Message
		}
	}
	return http.StatusText(status)
}

// responseError builds the error for a non-2xx answer.
func responseError(resp *http.Response, body []byte, method, path string) error {
	if resp.StatusCode == http.StatusTooManyRequests {
		return rateLimitError(resp.Header)
	}
	return &APIError{
		Status:  resp.StatusCode,
		Message: errorMessage(resp.StatusCode, body),
		Method:  method,
		Path:    path,
	}
}

func rateLimitError(h http.Header) *RateLimitError {
	return &RateLimitError{
		RetryAfter:  parseRetryAfter(h.Get("Retry-After")),
		PlanTier:    h.Get("X-Figma-Plan-Tier"),
		LimitType:   h.Get("X-Figma-Rate-Limit-Type"),
		UpgradeLink: h.Get("X-Figma-Upgrade-Link"),
	}
}

// parseRetryAfter reads Figma's Retry-After, integer seconds per docs /rest-api/rate-limits.
func parseRetryAfter(v string) time.Duration {
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || secs < 0 {
		return defaultRetryAfter
	}
	const maxSecs = int64(1<<63-1) / int64(time.Second)
	return time.Duration(min(secs, maxSecs)) * time.Second
}
