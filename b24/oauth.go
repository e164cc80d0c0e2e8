package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// OAuth refreshes portal tokens at the B24 OAuth server.
// https://apidocs.bitrix24.com/settings/oauth/index.html
type OAuth struct {
	BaseURL      string // e.g. "https://oauth.bitrix.info"; tokens at BaseURL+"/oauth/token/"
	ClientID     string
	ClientSecret string       // sent to BaseURL only, never into an error
	HTTP         *http.Client // nil means http.DefaultClient; redirects are never followed
	now          func() time.Time
}

// Token is the OAuth server's answer to a refresh.
type Token struct {
	AccessToken    string
	RefreshToken   string // a new one each time: store it, the old one is spent
	Expires        time.Time
	MemberID       string
	ClientEndpoint string
	ServerEndpoint string
	Scope          []string
	UserID         string
}

type tokenAnswer struct {
	AccessToken      string     `json:"access_token"`
	RefreshToken     string     `json:"refresh_token"`
	Expires          flexString `json:"expires"`
	ExpiresIn        flexString `json:"expires_in"`
	MemberID         string     `json:"member_id"`
	ClientEndpoint   string     `json:"client_endpoint"`
	ServerEndpoint   string     `json:"server_endpoint"`
	Scope            string     `json:"scope"`
	UserID           flexString `json:"user_id"`
	Error            string     `json:"error"`
	ErrorDescription string     `json:"error_description"`
}

const oauthMethod = "oauth/token"

// Refresh exchanges refreshToken for a new token pair: GET
// $BaseURL/oauth/token/?grant_type=refresh_token&client_id&client_secret&refresh_token
// (b24-facts 1.2). A refused refresh token gives an error matching ErrInvalidGrant.
func (o *OAuth) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	u, err := o.tokenURL(refreshToken)
	if err != nil {
		return Token{}, err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Token{}, errors.New("b24: oauth refresh: cannot build request")
	}

	req.Header.Set("Accept", "application/json")
	resp, err := o.client().Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("b24: oauth refresh: %w", scrubError(err))
	}
	defer resp.Body.Close()

	return o.readToken(resp)
}

func (o *OAuth) tokenURL(refreshToken string) (string, error) {
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || base.Host == "" {
		return "", errors.New("b24: oauth refresh: bad BaseURL")
	}

	base.Path += "/oauth/token/"
	base.RawQuery = url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {o.ClientID},
		"client_secret": {o.ClientSecret},
		"refresh_token": {refreshToken},
	}.Encode()
	return base.String(), nil
}

func (o *OAuth) client() *http.Client {
	hc := o.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}

	// A redirect would carry client_secret to another host.
	return withoutRedirects(hc)
}

func (o *OAuth) readToken(resp *http.Response) (Token, error) {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		return Token{}, fmt.Errorf("b24: oauth refresh: read answer: %w", err)
	}

	var ans tokenAnswer
	if err := json.Unmarshal(data, &ans); err != nil {
		desc := "unexpected answer: " + http.StatusText(resp.StatusCode)
		return Token{}, &APIError{Status: resp.StatusCode, Method: oauthMethod, Description: desc}
	}

	if ans.Error != "" || resp.StatusCode != http.StatusOK || ans.AccessToken == "" {
		return Token{}, &APIError{Status: resp.StatusCode, Code: ans.Error,
			Description: ans.ErrorDescription, Method: oauthMethod}
	}

	return ans.token(o.clock()), nil
}

func (o *OAuth) clock() time.Time {
	if o.now != nil {
		return o.now()
	}
	return time.Now()
}

func (a tokenAnswer) token(now time.Time) Token {
	t := Token{
		AccessToken:    a.AccessToken,
		RefreshToken:   a.RefreshToken,
		MemberID:       a.MemberID,
		ClientEndpoint: a.ClientEndpoint,
		ServerEndpoint: a.ServerEndpoint,
		Scope:          splitScope(a.Scope),
		UserID:         string(a.UserID),
	}

	if unix, err := strconv.ParseInt(string(a.Expires), 10, 64); err == nil && unix > 0 {
		t.Expires = time.Unix(unix, 0)
	} else if secs, err := strconv.Atoi(string(a.ExpiresIn)); err == nil {
		t.Expires = now.Add(time.Duration(secs) * time.Second)
	}

	return t
}
