package figmafake

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/figbot/figbot/figma"
)

// Figma OAuth, as reference/figma-facts.md §3 describes it: a code lives 30 s and is used
// once; the token endpoint takes the client in Basic auth and a form body; refresh tokens are
// reusable, and a refresh kills the user's previous access token (one per app and user).
//
// Choices where the real API is not documented:
//   - Errors use the error-boolean shape of §5: a wrong client answers 401, anything else
//     wrong (code, redirect_uri, refresh token, grant type) answers 400.
//   - A refresh answers access_token, token_type and expires_in, without a new refresh token.

const (
	oauthCodeLife  = 30 * time.Second
	oauthTokenLife = 90 * 24 * time.Hour
)

// oauthApp is the one OAuth app the fake knows; the Server's mutex guards it.
type oauthApp struct {
	id, secret string
	codes      map[string]oauthCode
	refresh    map[string]figma.User // refresh token -> its user
	access     map[string]string     // user id -> the user's live access token
}

type oauthCode struct {
	user     figma.User
	redirect string
	expires  time.Time
}

// WithOAuthClient makes the fake accept this OAuth app at POST /v1/oauth/token. Without it
// that route answers 404. Applied to a running Server, it replaces the app safely.
func WithOAuthClient(id, secret string) Option {
	return func(s *Server) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.oauth = &oauthApp{id: id, secret: secret, codes: map[string]oauthCode{},
			refresh: map[string]figma.User{}, access: map[string]string{}}
	}
}

// IssueCode plays the user consenting on Figma's page: it returns a code for u that the
// token endpoint accepts once, within 30 s, with the same redirect_uri.
func (s *Server) IssueCode(u figma.User, redirectURI string) string {
	code := randomToken("code_")
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth != nil {
		s.oauth.codes[code] = oauthCode{user: u, redirect: redirectURI,
			expires: s.now().Add(oauthCodeLife)}
	}
	return code
}

// Authorize plays Figma's consent page for an authorize URL the bot sent a browser to: it
// checks the client and the parameters, and returns the callback URL with a code for u and
// the state.
func (s *Server) Authorize(authorizeURL string, u figma.User) (string, error) {
	au, err := url.Parse(authorizeURL)
	if err != nil {
		return "", err
	}
	q := au.Query()
	s.mu.Lock()
	app := s.oauth
	s.mu.Unlock()
	switch {
	case app == nil || q.Get("client_id") != app.id:
		return "", errors.New("figmafake: unknown client_id")
	case q.Get("response_type") != "code":
		return "", errors.New("figmafake: response_type must be code")
	case q.Get("redirect_uri") == "" || q.Get("scope") == "" || q.Get("state") == "":
		return "", errors.New("figmafake: redirect_uri, scope and state are required")
	}
	cb, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		return "", err
	}
	cq := cb.Query()
	cq.Set("code", s.IssueCode(u, q.Get("redirect_uri")))
	cq.Set("state", q.Get("state"))
	cb.RawQuery = cq.Encode()
	return cb.String(), nil
}

// handleOAuthToken serves POST /v1/oauth/token for both grants.
func (s *Server) handleOAuthToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	app := s.oauth
	s.mu.Unlock()
	if app == nil {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(id), []byte(app.id)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(app.secret)) != 1 {
		writeErrBool(w, http.StatusUnauthorized, "Invalid client credentials")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeErrBool(w, http.StatusBadRequest, "Invalid request body")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		s.exchangeCode(w, r.PostForm)
	case "refresh_token":
		s.refreshToken(w, r.PostForm)
	default:
		writeErrBool(w, http.StatusBadRequest, "Invalid grant_type")
	}
}

func (s *Server) exchangeCode(w http.ResponseWriter, form url.Values) {
	s.mu.Lock()
	c, ok := s.oauth.codes[form.Get("code")]
	delete(s.oauth.codes, form.Get("code"))
	expired := ok && s.now().After(c.expires)
	s.mu.Unlock()
	switch {
	case !ok || expired:
		writeErrBool(w, http.StatusBadRequest, "Invalid code")
		return
	case form.Get("redirect_uri") != c.redirect:
		writeErrBool(w, http.StatusBadRequest, "Invalid redirect_uri")
		return
	}
	access, refresh := randomToken("figu_"), randomToken("figur_")
	s.mu.Lock()
	s.grantLocked(c.user, access)
	s.oauth.refresh[refresh] = c.user
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"user_id_string": c.user.ID,
		"access_token": access, "token_type": "bearer",
		"expires_in": int(oauthTokenLife / time.Second), "refresh_token": refresh})
}

func (s *Server) refreshToken(w http.ResponseWriter, form url.Values) {
	access := randomToken("figu_")
	s.mu.Lock()
	u, ok := s.oauth.refresh[form.Get("refresh_token")]
	if ok {
		s.grantLocked(u, access)
	}
	s.mu.Unlock()
	if !ok {
		writeErrBool(w, http.StatusBadRequest, "Invalid refresh token")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer",
		"expires_in": int(oauthTokenLife / time.Second)})
}

// grantLocked makes access the user's only live OAuth token; the caller holds s.mu.
func (s *Server) grantLocked(u figma.User, access string) {
	if old, ok := s.oauth.access[u.ID]; ok {
		delete(s.tokens, old)
	}
	s.oauth.access[u.ID] = access
	s.tokens[access] = u
}

// OAuthToken returns the live OAuth access token of the user, or "" when there is none.
func (s *Server) OAuthToken(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.oauth == nil {
		return ""
	}
	return s.oauth.access[userID]
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
