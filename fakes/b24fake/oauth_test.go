package b24fake

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func oauthCall(t *testing.T, p *Portal, q url.Values) (int, map[string]any) {
	t.Helper()
	return postRaw(t, p.OAuthURL()+"/oauth/token/?"+q.Encode(), "", "")
}

func refreshQuery(p *Portal, refresh string) url.Values {
	return url.Values{"grant_type": {"refresh_token"}, "client_id": {p.ClientID()},
		"client_secret": {p.ClientSecret()}, "refresh_token": {refresh}}
}

func TestOAuthRefresh(t *testing.T) {
	p, _ := newPortal(t, WithClientCredentials("app.id", "app-secret"))
	_, refresh := p.IssueTokens()

	status, got := oauthCall(t, p, refreshQuery(p, refresh))
	if status != 200 {
		t.Fatalf("refresh: status %d, %v", status, got)
	}

	sample := readSample(t, "oauth-token-refresh_token.response.json")
	if diff := cmp.Diff(shape(sample), shape(got)); diff != "" {
		t.Errorf("answer shape (-sample +fake):\n%s", diff)
	}

	wantValues := []any{p.MemberID(), p.ClientEndpoint(), float64(1), "L"}
	gotValues := []any{got["member_id"], got["client_endpoint"], got["user_id"], got["status"]}
	if diff := cmp.Diff(wantValues, gotValues); diff != "" {
		t.Errorf("answer values (-want +got):\n%s", diff)
	}

	if status, _ := rest(t, p, got["access_token"].(string), "app.info", nil); status != 200 {
		t.Errorf("new access token refused: %d", status)
	}

	if p.RefreshCount() != 1 {
		t.Errorf("RefreshCount = %d, want 1", p.RefreshCount())
	}
}

func TestOAuthRefusals(t *testing.T) {
	p, _ := newPortal(t)
	_, used := p.IssueTokens()
	if status, _ := oauthCall(t, p, refreshQuery(p, used)); status != 200 {
		t.Fatalf("first refresh: %d", status)
	}

	_, fresh := p.IssueTokens()
	tests := []struct {
		name   string
		modify func(q url.Values)
		status int
		code   string
	}{
		{"used refresh token", func(q url.Values) { q.Set("refresh_token", used) }, 400,
			"invalid_grant"},
		{"unknown refresh token", func(q url.Values) { q.Set("refresh_token", "x") }, 400,
			"invalid_grant"},
		{"wrong secret", func(q url.Values) { q.Set("client_secret", "nope") }, 401,
			"invalid_client"},
		{"wrong client", func(q url.Values) { q.Set("client_id", "nope") }, 401,
			"invalid_client"},
		{"other grant", func(q url.Values) { q.Set("grant_type", "authorization_code") }, 400,
			"invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := refreshQuery(p, fresh)
			tt.modify(q)
			status, got := oauthCall(t, p, q)
			if status != tt.status || got["error"] != tt.code {
				t.Errorf("got %d %v, want %d %s", status, got, tt.status, tt.code)
			}
		})
	}

	if p.RefreshCount() != 1 {
		t.Errorf("RefreshCount = %d, want 1", p.RefreshCount())
	}
}
