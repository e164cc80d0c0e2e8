package figma

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var sentinels = []error{
	ErrInvalidToken, ErrMissingScope, ErrNoAccess, ErrNotExportable, ErrNotFound, ErrBadRequest,
}

const scopeMsg = "Invalid scope(s): files:read. " +
	"This endpoint requires the file_metadata:read scope"

func TestAPIErrors(t *testing.T) {
	sample403 := string(readSample(t, "error-403-invalid-token.json"))
	tests := []struct {
		name   string
		status int
		body   string
		want   *APIError
		wantIs error // nil: matches no sentinel
	}{
		{"invalid token sample", 403, sample403,
			&APIError{403, "Invalid token", "GET", "/v1/files/K/meta"}, ErrInvalidToken},
		{"expired token", 403, `{"status":403,"err":"Token expired"}`,
			&APIError{403, "Token expired", "GET", "/v1/files/K/meta"}, ErrInvalidToken},
		{"missing scope", 403, `{"status":403,"err":"` + scopeMsg + `"}`,
			&APIError{403, scopeMsg, "GET", "/v1/files/K/meta"}, ErrMissingScope},
		{"export restricted", 403,
			`{"status":403,"err":"The owner of this file has disabled copying and exporting"}`,
			&APIError{403, "The owner of this file has disabled copying and exporting", "GET",
				"/v1/files/K/meta"}, ErrNotExportable},
		{"no access", 403, `{"status":403,"err":"Forbidden"}`,
			&APIError{403, "Forbidden", "GET", "/v1/files/K/meta"}, ErrNoAccess},
		{"401", 401, `{"error":true,"status":401,"message":"Unauthorized"}`,
			&APIError{401, "Unauthorized", "GET", "/v1/files/K/meta"}, ErrInvalidToken},
		{"not found err shape", 404, `{"status":404,"err":"Not found"}`,
			&APIError{404, "Not found", "GET", "/v1/files/K/meta"}, ErrNotFound},
		{"not found boolean shape", 404, `{"error":true,"status":404,"message":"No such file"}`,
			&APIError{404, "No such file", "GET", "/v1/files/K/meta"}, ErrNotFound},
		{"bad request", 400, `{"status":400,"err":"Request too large"}`,
			&APIError{400, "Request too large", "GET", "/v1/files/K/meta"}, ErrBadRequest},
		{"server error html", 500, `<html>oops</html>`,
			&APIError{500, "Internal Server Error", "GET", "/v1/files/K/meta"}, nil},
		{"empty body", 502, ``,
			&APIError{502, "Bad Gateway", "GET", "/v1/files/K/meta"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("GET /v1/files/K/meta", tt.status, tt.body)

			_, err := c.FileMeta(t.Context(), "K")
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("FileMeta() = %v, want *APIError", err)
			}
			if diff := cmp.Diff(tt.want, ae); diff != "" {
				t.Errorf("APIError (-want +got):\n%s", diff)
			}
			checkSentinels(t, err, tt.wantIs)
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

// checkSentinels asserts err matches want and no other sentinel.
func checkSentinels(t *testing.T, err, want error) {
	t.Helper()
	for _, s := range sentinels {
		if got := errors.Is(err, s); got != (s == want) {
			t.Errorf("errors.Is(err, %v) = %v", s, got)
		}
	}
}

func TestRateLimitErrors(t *testing.T) {
	var sample struct {
		Headers map[string]string `json:"headers"`
		Body    json.RawMessage   `json:"body"`
	}
	if err := json.Unmarshal(readSample(t, "error-429-rate-limit.json"), &sample); err != nil {
		t.Fatal(err)
	}
	var sampleHeaders []string
	for k, v := range sample.Headers {
		sampleHeaders = append(sampleHeaders, k, v)
	}
	sampleHeaders = append(sampleHeaders, "X-Figma-Upgrade-Link", "https://www.figma.com/upgrade")

	tests := []struct {
		name   string
		header []string
		want   *RateLimitError
	}{
		{"sample", sampleHeaders, &RateLimitError{RetryAfter: 396749 * time.Second,
			PlanTier: "pro", LimitType: "low", UpgradeLink: "https://www.figma.com/upgrade"}},
		{"no retry-after", nil, &RateLimitError{RetryAfter: time.Minute}},
		{"date retry-after", []string{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"},
			&RateLimitError{RetryAfter: time.Minute}},
		{"negative retry-after", []string{"Retry-After", "-5"},
			&RateLimitError{RetryAfter: time.Minute}},
		{"zero retry-after", []string{"Retry-After", "0"}, &RateLimitError{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("GET /v1/me", 429, string(sample.Body), tt.header...)

			_, err := c.Me(t.Context())
			var rl *RateLimitError
			if !errors.As(err, &rl) {
				t.Fatalf("Me() = %v, want *RateLimitError", err)
			}
			if diff := cmp.Diff(tt.want, rl); diff != "" {
				t.Errorf("RateLimitError (-want +got):\n%s", diff)
			}
			checkSentinels(t, err, nil)
		})
	}
}

func TestErrorStrings(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{404, "Not found", "GET", "/v1/files/K/meta"},
			"GET /v1/files/K/meta: 404 Not found"},
		{&RateLimitError{RetryAfter: time.Minute, PlanTier: "pro", LimitType: "low"},
			`figma: rate limited, retry after 1m0s (plan "pro", limit "low")`},
		{&RateLimitError{RetryAfter: time.Second, Local: true},
			"figma: rate budget exhausted, retry after 1s"},
		{&RenderError{NodeID: "1:2", Reason: "no image"}, "figma: render node 1:2: no image"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.err.Error()); diff != "" {
				t.Errorf("Error() (-want +got):\n%s", diff)
			}
		})
	}
}
