package b24

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testSecret = "CLIENT_S3CRET"

func newTestOAuth(t *testing.T, fn func(request) answer) (*OAuth, *testPortal) {
	t.Helper()
	p := newTestPortal(t, fn)
	o := &OAuth{BaseURL: p.srv.URL + "/", ClientID: "app.1", ClientSecret: testSecret,
		now: func() time.Time { return time.Unix(1000, 0) }}
	return o, p
}

func TestOAuthRefresh(t *testing.T) {
	sample := string(readSample(t, "oauth-token-refresh_token.response.json"))
	o, p := newTestOAuth(t, func(request) answer { return answer{status: 200, body: sample} })

	got, err := o.Refresh(t.Context(), "OLD_REFRESH")
	if err != nil {
		t.Fatal(err)
	}

	want := Token{
		AccessToken: "XXXX_ACCESS_TOKEN_1", RefreshToken: "XXXX_REFRESH_TOKEN_1",
		Expires: time.Unix(1780319382, 0), MemberID: "XXXX_MEMBER_ID_1",
		ClientEndpoint: "https://example.bitrix24.com/rest/",
		ServerEndpoint: "https://oauth.bitrix.info/rest/",
		Scope:          []string{"crm", "entity", "im", "task"}, UserID: "67",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Refresh (-want +got):\n%s", diff)
	}

	reqs := p.requests()
	if len(reqs) != 1 || reqs[0].Method != "GET" || reqs[0].Path != "/oauth/token/" {
		t.Fatalf("requests = %+v", reqs)
	}

	q, _ := url.ParseQuery(reqs[0].RawQuery)
	wantQuery := url.Values{"grant_type": {"refresh_token"}, "client_id": {"app.1"},
		"client_secret": {testSecret}, "refresh_token": {"OLD_REFRESH"}}
	if diff := cmp.Diff(wantQuery, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestOAuthRefreshExpiresIn(t *testing.T) {
	body := `{"access_token":"a","refresh_token":"r","expires_in":3600,"user_id":"5"}`
	o, _ := newTestOAuth(t, func(request) answer { return answer{status: 200, body: body} })
	got, err := o.Refresh(t.Context(), "x")
	if err != nil {
		t.Fatal(err)
	}

	if want := time.Unix(1000+3600, 0); !got.Expires.Equal(want) || got.UserID != "5" {
		t.Errorf("Expires = %v, UserID = %q; want %v, 5", got.Expires, got.UserID, want)
	}
}

func TestOAuthRefreshErrors(t *testing.T) {
	tests := []struct {
		name     string
		answer   answer
		sentinel error
		want     *APIError
	}{
		{"invalid_grant",
			answer{status: 400, body: `{"error":"invalid_grant","error_description":"x"}`},
			ErrInvalidGrant,
			&APIError{Status: 400, Code: "invalid_grant", Description: "x",
				Method: "oauth/token"}},
		{"invalid_client",
			answer{status: 401, body: `{"error":"invalid_client"}`}, nil,
			&APIError{Status: 401, Code: "invalid_client", Method: "oauth/token"}},
		{"payment required sample in a 200",
			answer{status: 200, body: `{"error":"PAYMENT_REQUIRED",` +
				`"error_description":"Payment required"}`}, nil,
			&APIError{Status: 200, Code: "PAYMENT_REQUIRED", Description: "Payment required",
				Method: "oauth/token"}},
		{"not JSON", answer{status: 500, body: "<html>"}, nil,
			&APIError{Status: 500, Description: "unexpected answer: Internal Server Error",
				Method: "oauth/token"}},
		{"redirect is not followed",
			answer{status: 302, location: "https://evil.example/steal", body: "{}"}, nil,
			&APIError{Status: 302, Method: "oauth/token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, p := newTestOAuth(t, func(request) answer { return tt.answer })
			_, err := o.Refresh(t.Context(), "R")
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}

			checkTyped(t, err, tt.want, nil)
			if n := len(p.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestOAuthErrorsHoldNoSecret(t *testing.T) {
	o, p := newTestOAuth(t, func(request) answer { return answer{status: 200, body: "{}"} })
	p.srv.Close()
	_, err := o.Refresh(t.Context(), "REFRESH_S3CRET")
	if err == nil {
		t.Fatal("Refresh to a closed server = nil error")
	}

	for _, secret := range []string{testSecret, "REFRESH_S3CRET"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q holds %q", err, secret)
		}
	}

	bad := &OAuth{BaseURL: "::" + testSecret, ClientSecret: testSecret}
	if _, err := bad.Refresh(t.Context(), "r"); err == nil ||
		strings.Contains(err.Error(), testSecret) {
		t.Errorf("bad BaseURL error = %v", err)
	}
}
