package b24fake

import (
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	tokenLifetime = time.Hour
	appScope      = "imbot,task,disk,im,placement,log,user"
)

type accessToken struct {
	userID  string
	expires time.Time
	expired bool // forced by ExpireAccessTokens
}

type refreshToken struct {
	userID string
	used   bool
}

// issuePair creates a valid token pair acting as userID.
func (s *state) issuePair(userID string) (access, refresh string) {
	access, refresh = randomHex(16), randomHex(16)
	s.access[access] = &accessToken{userID: userID, expires: time.Now().Add(tokenLifetime)}
	s.refresh[refresh] = &refreshToken{userID: userID}
	return access, refresh
}

// IssueTokens issues a new valid token pair for the administrator, as B24 does when the app is
// installed; InstallEvent carries such a pair.
func (p *Portal) IssueTokens() (access, refresh string) {
	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.issuePair(AdminID)
}

// ExpireAccessTokens makes every access token issued so far answer 401 expired_token.
// Refresh tokens keep working.
func (p *Portal) ExpireAccessTokens() {
	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, t := range st.access {
		t.expired = true
	}
}

// RefreshCount is how many refreshes the OAuth server granted.
func (p *Portal) RefreshCount() int {
	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.refreshCount
}

// checkAccess finds the user of an access token or the error B24 answers.
func (s *state) checkAccess(token string) (string, *apiError) {
	if token == "" {
		return "", &apiError{status: 401, code: "NO_AUTH_FOUND",
			desc: "Wrong authorization data"}
	}

	t, ok := s.access[token]
	if !ok {
		return "", &apiError{status: 401, code: "invalid_token",
			desc: "The access token provided is invalid."}
	}

	if t.expired || time.Now().After(t.expires) {
		return "", &apiError{status: 401, code: "expired_token",
			desc: "The access token provided has expired."}
	}

	return t.userID, nil
}

// serveOAuth answers /oauth/token/ for grant_type=refresh_token, like
// oauth-token-refresh_token.response.json. A refresh token works once: B24 issues a new pair
// each time (b24-facts 1.2). Access tokens issued before stay valid until they expire (whether
// B24 kills them is not settled).
func (s *state) serveOAuth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, 400, oauthError("invalid_request", "Malformed request"))
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := s.grant(r.Form)
	writeJSON(w, status, body)
}

func (s *state) grant(q url.Values) (int, any) {
	if q.Get("grant_type") != "refresh_token" {
		return 400, oauthError("invalid_request", "Unsupported grant_type")
	}

	if q.Get("client_id") != s.clientID || q.Get("client_secret") != s.clientSecret {
		return 401, oauthError("invalid_client", "Invalid client credentials")
	}

	old, ok := s.refresh[q.Get("refresh_token")]
	if !ok || old.used {
		return 400, oauthError("invalid_grant", "Invalid refresh token")
	}

	old.used = true
	s.refreshCount++
	access, refresh := s.issuePair(old.userID)
	return 200, s.tokenAnswer(access, refresh, old.userID)
}

func (s *state) tokenAnswer(access, refresh, userID string) map[string]any {
	userNum, _ := strconv.Atoi(userID)
	return map[string]any{
		"access_token":    access,
		"client_endpoint": s.baseURL + "/rest/",
		"domain":          s.domain(),
		"expires":         time.Now().Add(tokenLifetime).Unix(),
		"expires_in":      int(tokenLifetime.Seconds()),
		"member_id":       s.memberID,
		"refresh_token":   refresh,
		"scope":           appScope,
		"server_endpoint": s.baseURL + "/rest/",
		"status":          "L",
		"user_id":         userNum,
	}
}

func oauthError(code, desc string) map[string]string {
	return map[string]string{"error": code, "error_description": desc}
}
