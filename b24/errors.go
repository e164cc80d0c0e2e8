package b24

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sentinels for the B24 errors callers branch on. Check them with errors.Is; an *APIError
// matches the sentinel of its code.
// https://apidocs.bitrix24.com/error-codes.html
var (
	// ErrTokenExpired: 401 expired_token. invalid_token is matched too: it is not in the
	// official list but is seen in the wild, and a refresh is the right answer to both
	// (b24-facts 9).
	ErrTokenExpired = errors.New("b24: access token expired")
	// ErrInvalidGrant: the OAuth server refused the refresh token; the portal must install the
	// app again.
	ErrInvalidGrant = errors.New("b24: refresh token refused")
	// ErrNoAuth: 401 NO_AUTH_FOUND, the call carried no usable auth.
	ErrNoAuth = errors.New("b24: no auth found")
	// ErrAccessDenied: ACCESS_DENIED, ACCESS_ERROR or user_access_error.
	ErrAccessDenied = errors.New("b24: access denied")
	// ErrInsufficientScope: the app lacks the method's scope.
	ErrInsufficientScope = errors.New("b24: insufficient scope")
	// ErrMethodNotFound: 404 ERROR_METHOD_NOT_FOUND.
	ErrMethodNotFound = errors.New("b24: method not found")
	// ErrPortalDeleted: PORTAL_DELETED.
	ErrPortalDeleted = errors.New("b24: portal deleted")
	// ErrWrongAuthType: WRONG_AUTH_TYPE, the method needs another kind of auth.
	ErrWrongAuthType = errors.New("b24: wrong auth type")
	// ErrAlreadyExists: the object (event handler, placement, user field, bot) exists already.
	ErrAlreadyExists = errors.New("b24: already exists")
	// ErrHostNotAllowed: a portal endpoint fails the HostPolicy.
	ErrHostNotAllowed = errors.New("b24: endpoint not allowed")
	// ErrNotFound: a lookup found nothing.
	ErrNotFound = errors.New("b24: not found")
)

// APIError is an error answer of the B24 REST API or its OAuth server.
type APIError struct {
	Status      int    // HTTP status; 0 for a command inside a batch
	Code        string // the "error" field, e.g. "expired_token", "ACCESS_DENIED"
	Description string // the "error_description" field
	Method      string // the REST method, or "oauth/token"
}

// Error reports method, code, status and description; it never holds tokens.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("b24: ")
	b.WriteString(e.Method)
	b.WriteString(": ")
	if e.Code != "" {
		b.WriteString(e.Code)
		b.WriteString(" ")
	}

	if e.Status != 0 {
		fmt.Fprintf(&b, "(http %d)", e.Status)
	}

	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}

	return strings.TrimSpace(b.String())
}

var sentinelCodes = map[error][]string{
	ErrTokenExpired:      {"expired_token", "invalid_token"},
	ErrInvalidGrant:      {"invalid_grant"},
	ErrNoAuth:            {"NO_AUTH_FOUND"},
	ErrAccessDenied:      {"ACCESS_DENIED", "ACCESS_ERROR", "user_access_error"},
	ErrInsufficientScope: {"insufficient_scope"},
	ErrMethodNotFound:    {"ERROR_METHOD_NOT_FOUND"},
	ErrPortalDeleted:     {"PORTAL_DELETED"},
	ErrWrongAuthType:     {"WRONG_AUTH_TYPE"},
}

// Is reports whether the error belongs to a sentinel's class.
func (e *APIError) Is(target error) bool {
	if target == ErrAlreadyExists {
		return isDuplicateDescription(e.Description)
	}

	for _, code := range sentinelCodes[target] {
		if strings.EqualFold(e.Code, code) {
			return true
		}
	}

	return false
}

// isDuplicateDescription recognises "already exists" answers. B24 has no code for them:
// task.item.userfield.add answers ERROR_CORE "... already exists" (b24-facts 5), and
// event.bind and placement.bind answer ERROR_CORE "Handler already binded"; only the text
// tells a duplicate from other ERROR_CORE failures, so here, and only here, text is matched.
func isDuplicateDescription(desc string) bool {
	d := strings.ToLower(desc)
	return strings.Contains(d, "already exist") || strings.Contains(d, "already binded")
}

// RateLimitError says a call was refused for rate and when to try again: B24's 503
// QUERY_LIMIT_EXCEEDED (leaky bucket, retry after about a second), its 429
// OPERATION_TIME_LIMIT (the method's time budget, retry at time.operating_reset_at), or the
// client's own limiter when the wait would exceed the client's maximum.
// https://apidocs.bitrix24.com/limits.html
type RateLimitError struct {
	RetryAfter time.Duration
	Code       string
	Method     string
	Local      bool // the client's limiter refused; nothing was sent
}

// Error reports the method, code and wait.
func (e *RateLimitError) Error() string {
	who := "b24"
	if e.Local {
		who = "local limiter"
	}

	return fmt.Sprintf("b24: %s: rate limited by %s (%s), retry after %s",
		e.Method, who, e.Code, e.RetryAfter)
}

const (
	codeQueryLimit    = "QUERY_LIMIT_EXCEEDED"
	codeOperationTime = "OPERATION_TIME_LIMIT"
	queryLimitWait    = time.Second
	operationTimeWait = 60 * time.Second
)

// errorBody is B24's error answer. REST 3.0 sends "error" as an object {code, message}.
type errorBody struct {
	Error       json.RawMessage `json:"error"`
	Description string          `json:"error_description"`
	Time        *struct {
		OperatingResetAt float64 `json:"operating_reset_at"`
	} `json:"time"`
}

func (b errorBody) code() (code, desc string) {
	var s string
	if json.Unmarshal(b.Error, &s) == nil {
		return s, b.Description
	}

	var v3 struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b.Error, &v3) == nil {
		return v3.Code, v3.Message
	}

	return "", b.Description
}

// responseError turns an error answer into *RateLimitError or *APIError.
func responseError(method string, status int, data []byte, now time.Time) error {
	var body errorBody
	if err := json.Unmarshal(data, &body); err != nil || len(body.Error) == 0 {
		desc := "unexpected answer: " + http.StatusText(status)
		return &APIError{Status: status, Method: method, Description: desc}
	}

	code, desc := body.code()
	switch {
	case strings.EqualFold(code, codeQueryLimit):
		return &RateLimitError{RetryAfter: queryLimitWait, Code: code, Method: method}
	case strings.EqualFold(code, codeOperationTime):
		wait := operationWait(body, now)
		return &RateLimitError{RetryAfter: wait, Code: code, Method: method}
	}

	return &APIError{Status: status, Code: code, Description: desc, Method: method}
}

func operationWait(body errorBody, now time.Time) time.Duration {
	if body.Time == nil || body.Time.OperatingResetAt <= 0 {
		return operationTimeWait
	}

	reset := time.Unix(0, int64(body.Time.OperatingResetAt*float64(time.Second)))
	wait := reset.Sub(now)
	if wait < time.Second {
		return time.Second
	}

	return wait
}

// sensitiveParams are query parameters whose values never appear in an error.
var sensitiveParams = []string{
	"auth", "access_token", "refresh_token", "client_secret", "code", "token",
	"application_token", "password",
}

// redactURL replaces the values of sensitive query parameters with "REDACTED".
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}

	u.User = nil
	q := u.Query()
	changed := false
	for key := range q {
		for _, s := range sensitiveParams {
			if strings.EqualFold(key, s) {
				q.Set(key, "REDACTED")
				changed = true
			}
		}
	}

	if changed {
		u.RawQuery = q.Encode()
	}

	return u.String()
}

// scrubError removes secrets from the URL that net/http puts into its errors.
func scrubError(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}

	clean := *ue
	clean.URL = redactURL(ue.URL)
	return &clean
}
