package b24

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var allSentinels = []error{
	ErrTokenExpired, ErrInvalidGrant, ErrNoAuth, ErrAccessDenied, ErrInsufficientScope,
	ErrMethodNotFound, ErrPortalDeleted, ErrWrongAuthType, ErrAlreadyExists, ErrHostNotAllowed,
	ErrNotFound,
}

func TestAPIErrorIs(t *testing.T) {
	tests := []struct {
		name string
		err  *APIError
		want error // the only sentinel it must match; nil for none
	}{
		{"expired_token", &APIError{Status: 401, Code: "expired_token",
			Description: "The access token provided has expired."}, ErrTokenExpired},
		{"invalid_token", &APIError{Status: 401, Code: "invalid_token"}, ErrTokenExpired},
		{"invalid_grant", &APIError{Status: 400, Code: "invalid_grant"}, ErrInvalidGrant},
		{"NO_AUTH_FOUND", &APIError{Status: 401, Code: "NO_AUTH_FOUND"}, ErrNoAuth},
		{"ACCESS_DENIED", &APIError{Status: 403, Code: "ACCESS_DENIED"}, ErrAccessDenied},
		{"ACCESS_ERROR", &APIError{Status: 403, Code: "ACCESS_ERROR"}, ErrAccessDenied},
		{"user_access_error", &APIError{Status: 403, Code: "user_access_error"},
			ErrAccessDenied},
		{"insufficient_scope", &APIError{Status: 403, Code: "insufficient_scope"},
			ErrInsufficientScope},
		{"ERROR_METHOD_NOT_FOUND", &APIError{Status: 404, Code: "ERROR_METHOD_NOT_FOUND"},
			ErrMethodNotFound},
		{"PORTAL_DELETED", &APIError{Status: 500, Code: "PORTAL_DELETED"}, ErrPortalDeleted},
		{"WRONG_AUTH_TYPE", &APIError{Status: 403, Code: "WRONG_AUTH_TYPE"}, ErrWrongAuthType},
		{"userfield duplicate", &APIError{Status: 400, Code: "ERROR_CORE",
			Description: "Field UF_FIGMA_URL already exists"}, ErrAlreadyExists},
		{"handler duplicate", &APIError{Status: 400, Code: "ERROR_CORE",
			Description: "Handler already binded"}, ErrAlreadyExists},
		{"other ERROR_CORE", &APIError{Status: 400, Code: "ERROR_CORE",
			Description: "The 'USER_TYPE_ID' field is not found."}, nil},
		{"CODE_ERROR", &APIError{Status: 400, Code: "CODE_ERROR"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wrapped := fmt.Errorf("task: %w", tt.err)
			for _, s := range allSentinels {
				if got := errors.Is(wrapped, s); got != (s == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", tt.err, s, got)
				}
			}

			var ae *APIError
			if !errors.As(wrapped, &ae) || ae.Code != tt.err.Code {
				t.Errorf("errors.As did not find the APIError")
			}
		})
	}
}

func TestResponseError(t *testing.T) {
	now := time.Unix(1769512000, 0)
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"query limit", 503,
			`{"error":"QUERY_LIMIT_EXCEEDED","error_description":"Too many requests"}`,
			&RateLimitError{RetryAfter: time.Second, Code: "QUERY_LIMIT_EXCEEDED", Method: "m"}},
		{"operation time with reset", 429,
			`{"error":"OPERATION_TIME_LIMIT","error_description":"x",` +
				`"time":{"operating_reset_at":1769512310}}`,
			&RateLimitError{RetryAfter: 310 * time.Second, Code: "OPERATION_TIME_LIMIT",
				Method: "m"}},
		{"operation time without reset", 429, `{"error":"OPERATION_TIME_LIMIT"}`,
			&RateLimitError{RetryAfter: time.Minute, Code: "OPERATION_TIME_LIMIT",
				Method: "m"}},
		{"operation time reset passed", 429,
			`{"error":"OPERATION_TIME_LIMIT","time":{"operating_reset_at":1769511000}}`,
			&RateLimitError{RetryAfter: time.Second, Code: "OPERATION_TIME_LIMIT",
				Method: "m"}},
		{"classic error", 400,
			`{"error":"CODE_ERROR","error_description":"Bot code isn't specified"}`,
			&APIError{Status: 400, Code: "CODE_ERROR", Description: "Bot code isn't specified",
				Method: "m"}},
		{"rest v3 error", 400,
			`{"error":{"code":"BITRIX_REST_V3_EXCEPTION_X","message":"Error during validation"}}`,
			&APIError{Status: 400, Code: "BITRIX_REST_V3_EXCEPTION_X",
				Description: "Error during validation", Method: "m"}},
		{"html error page", 502, `<html>Bad gateway</html>`,
			&APIError{Status: 502, Description: "unexpected answer: Bad Gateway", Method: "m"}},
		{"json without error", 500, `{"result":1}`,
			&APIError{Status: 500, Description: "unexpected answer: Internal Server Error",
				Method: "m"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := responseError("m", tt.status, []byte(tt.body), now)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("responseError (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{Status: 401, Code: "expired_token", Method: "app.info",
			Description: "The access token provided has expired."},
			"b24: app.info: expired_token (http 401): The access token provided has expired."},
		{&APIError{Code: "insufficient_scope", Method: "user.get"},
			"b24: user.get: insufficient_scope"},
		{&RateLimitError{RetryAfter: time.Second, Code: "QUERY_LIMIT_EXCEEDED", Method: "x"},
			"b24: x: rate limited by b24 (QUERY_LIMIT_EXCEEDED), retry after 1s"},
		{&RateLimitError{RetryAfter: 3 * time.Second, Code: "QUERY_LIMIT_EXCEEDED",
			Method: "x", Local: true},
			"b24: x: rate limited by local limiter (QUERY_LIMIT_EXCEEDED), retry after 3s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestScrubError(t *testing.T) {
	raw := "https://u:p@oauth.example/oauth/token/?client_id=app&client_secret=S3CRET" +
		"&refresh_token=R3FRESH&grant_type=refresh_token"
	err := scrubError(&url.Error{Op: "Get", URL: raw, Err: errors.New("connection refused")})
	msg := err.Error()
	for _, secret := range []string{"S3CRET", "R3FRESH", "u:p"} {
		if strings.Contains(msg, secret) {
			t.Errorf("scrubbed error %q still holds %q", msg, secret)
		}
	}

	if !strings.Contains(msg, "client_id=app") || !strings.Contains(msg, "connection refused") {
		t.Errorf("scrubbed error %q lost its context", msg)
	}
}
