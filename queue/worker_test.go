package queue

import (
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/figma"
)

func TestPermanentErrorsSkipRetry(t *testing.T) {
	tests := []struct {
		name string
		err  error
		skip bool
	}{
		{"figma no access", &figma.APIError{Status: 403, Message: "Forbidden"}, true},
		{"figma invalid token", &figma.APIError{Status: 403, Message: "Invalid token"}, true},
		{"figma not found", &figma.APIError{Status: 404, Message: "Not found"}, true},
		{"figma rate limit", &figma.RateLimitError{RetryAfter: time.Minute}, false},
		{"figma server error", &figma.APIError{Status: 500, Message: "oops"}, false},
		{"b24 access denied", &b24.APIError{Status: 403, Code: "ACCESS_DENIED"}, true},
		{"b24 expired token", &b24.APIError{Status: 401, Code: "expired_token"}, false},
		{"plain error", errors.New("connection reset"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errors.Is(permanent(tc.err), asynq.SkipRetry)
			if got != tc.skip {
				t.Errorf("SkipRetry = %v, want %v", got, tc.skip)
			}
		})
	}
}
