package queue

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"golang.org/x/oauth2"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// Figma OAuth per portal: when FIGMA_CLIENT_ID/SECRET are set, a portal's admin connects a
// Figma account and the bot calls Figma as that account for the portal's work.

// FigmaConnectTTL is how long a connect link the bot shows in chat stays usable.
const FigmaConnectTTL = 15 * time.Minute

// figmaEarlyRefresh is how long before its expiry a portal's Figma token is refreshed, so that
// a call never leaves with a token that dies on the way.
const figmaEarlyRefresh = 10 * time.Minute

// figmaRefreshWait bounds how long a call waits for another process's refresh.
const figmaRefreshWait = 10 * time.Second

// FigmaAuthorizeURL is Figma's consent page (reference/figma-facts.md §3). It is on
// www.figma.com whatever FIGMA_API_URL says, since only the API has a separate base.
const FigmaAuthorizeURL = "https://www.figma.com/oauth"

// FigmaScopes are the least the bot needs (reference/figma-facts.md §3, "Minimal set").
var FigmaScopes = []string{"current_user:read", "file_content:read", "file_metadata:read",
	"file_versions:read", "file_comments:read", "file_comments:write", "webhooks:read",
	"webhooks:write"}

// FigmaOAuthConfig is the OAuth app of the configuration: the web side uses it to send people
// to Figma and exchange the code, the worker to refresh tokens. Figma takes the client
// credentials in the Authorization header (recommended since 2024-10-28), and refreshes at the
// same token endpoint as the code exchange (changelog 2025-05-16).
func FigmaOAuthConfig(cfg configs.Config) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     cfg.Figma.ClientID,
		ClientSecret: cfg.Figma.ClientSecret.Value(),
		Endpoint: oauth2.Endpoint{AuthURL: FigmaAuthorizeURL,
			TokenURL: cfg.Figma.APIURL + "/v1/oauth/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL: cfg.HTTP.PublicURL + "/figma/oauth/callback",
		Scopes:      FigmaScopes,
	}
}

// FigmaConnectURL is a link to /figma/oauth/start for the portal, signed and valid for
// FigmaConnectTTL, for the bot to show a portal admin in chat.
func (h *Handlers) FigmaConnectURL(member string) string {
	exp := strconv.FormatInt(time.Now().Add(FigmaConnectTTL).Unix(), 10)
	sig := h.Store.Sealer().Sign(store.FigmaStartMessage(member, exp))
	q := url.Values{"member": {member}, "exp": {exp}, "sig": {sig}}
	return h.Config.HTTP.PublicURL + "/figma/oauth/start?" + q.Encode()
}

// figmaFor is the Figma client for a portal's work: the portal's own connected account when
// OAuth is configured and it has one, else the FIGMA_TOKEN client. A store error also falls
// back, so that a Redis hiccup costs the portal its own identity for one call, not the call.
func (h *Handlers) figmaFor(ctx context.Context, member string) *figma.Client {
	if !h.Config.Figma.OAuth() || h.FigmaFactory == nil || member == "" {
		return h.Figma
	}
	tok, err := h.Store.FigmaToken(ctx, member)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.Log.WithError(err).WithField("member_id", member).Warn("figma token unreadable")
		}
		return h.Figma
	}
	src := &portalTokenSource{ctx: ctx, h: h, member: member}
	ts := oauth2.ReuseTokenSourceWithExpiry(oauthToken(tok), src, figmaEarlyRefresh)
	return h.FigmaFactory(ts, h.Store.Sealer().Fingerprint("figma_user:"+tok.UserID))
}

// figmaForFile is the Figma client for work that belongs to a file rather than one portal
// (event handling, the scheduled refresh): the account of the first portal linked to the file
// that connected one, else the FIGMA_TOKEN client.
func (h *Handlers) figmaForFile(ctx context.Context, fileKey string) *figma.Client {
	if !h.Config.Figma.OAuth() {
		return h.Figma
	}
	var members []string
	if chats, err := h.Store.FileChats(ctx, fileKey); err == nil {
		for _, c := range chats {
			members = append(members, c.MemberID)
		}
	}
	if tasks, err := h.Store.FileTasks(ctx, fileKey); err == nil {
		for _, t := range tasks {
			members = append(members, t.MemberID)
		}
	}
	for _, m := range members {
		if ok, _ := h.figmaConnected(ctx, m); ok {
			return h.figmaFor(ctx, m)
		}
	}
	return h.Figma
}

// figmaConnected reports whether the portal has a Figma account connected.
func (h *Handlers) figmaConnected(ctx context.Context, member string) (bool, error) {
	_, err := h.Store.FigmaToken(ctx, member)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// figmaConnectLine is the /status line offering a connect link, when OAuth is configured and
// the portal has no Figma account connected; none otherwise.
func (h *Handlers) figmaConnectLine(ctx context.Context, member string) []string {
	if !h.Config.Figma.OAuth() {
		return nil
	}
	if ok, err := h.figmaConnected(ctx, member); ok || err != nil {
		return nil
	}
	return []string{"Figma: ✗ no Figma account connected for this portal; a portal admin can " +
		"connect one (link valid 15 minutes): " + bot.Link(h.FigmaConnectURL(member),
		"connect Figma")}
}

func oauthToken(t store.FigmaToken) *oauth2.Token {
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer",
		RefreshToken: t.RefreshToken, Expiry: t.Expiry}
}

// portalTokenSource refreshes a portal's Figma token and saves the new one. It runs under the
// portal's refresh lock and re-reads the store first: another process may have refreshed
// already, and a second refresh would kill that process's token (Figma keeps one access token
// per app and user).
type portalTokenSource struct {
	ctx    context.Context // the task's context: oauth2.TokenSource.Token takes none
	h      *Handlers
	member string
}

// Token implements oauth2.TokenSource. oauth2.ReuseTokenSource calls it under its own mutex.
func (s *portalTokenSource) Token() (*oauth2.Token, error) {
	var out *oauth2.Token
	err := s.h.Store.WithFigmaRefreshLock(s.ctx, s.member, figmaRefreshWait, func() error {
		cur, err := s.h.Store.FigmaToken(s.ctx, s.member)
		if err != nil {
			return err
		}
		if t := oauthToken(cur); !expiresSoon(t) {
			out = t
			return nil
		}
		out, err = s.refresh(cur)
		return err
	})
	return out, err
}

// refresh asks Figma for a new access token and stores it. A refused refresh token means the
// portal must connect again: the connection is dropped, so /status offers the link again.
func (s *portalTokenSource) refresh(cur store.FigmaToken) (*oauth2.Token, error) {
	ctx := context.WithValue(s.ctx, oauth2.HTTPClient, s.h.oauthHTTP())
	stale := &oauth2.Token{RefreshToken: cur.RefreshToken, Expiry: time.Unix(1, 0)}
	t, err := FigmaOAuthConfig(s.h.Config).TokenSource(ctx, stale).Token()
	if refusedGrant(err) {
		s.h.Log.WithField("member_id", s.member).
			Error("Figma refused the portal's refresh token: an admin must connect Figma again")
		_ = s.h.Store.DeleteFigmaToken(context.WithoutCancel(s.ctx), s.member)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	cur.AccessToken, cur.Expiry = t.AccessToken, t.Expiry
	if t.RefreshToken != "" {
		cur.RefreshToken = t.RefreshToken
	}
	if err := s.h.Store.SaveFigmaToken(s.ctx, s.member, cur); err != nil {
		return nil, err
	}
	return oauthToken(cur), nil
}

// refusedGrant reports whether Figma refused the refresh token itself. Figma documents no
// error body for its token endpoint, so besides RFC 6749's invalid_grant a plain 400 counts:
// the refresh request is always well formed, and a wrong client answers 401 instead.
func refusedGrant(err error) bool {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return false
	}
	return re.ErrorCode == "invalid_grant" ||
		(re.Response != nil && re.Response.StatusCode == http.StatusBadRequest)
}

// expiresSoon reports whether t is within figmaEarlyRefresh of its expiry.
func expiresSoon(t *oauth2.Token) bool {
	return !t.Expiry.IsZero() && time.Until(t.Expiry) < figmaEarlyRefresh
}

// oauthHTTP is the client for Figma's token endpoint: the same one the API calls use.
func (h *Handlers) oauthHTTP() *http.Client {
	if h.HTTPClient != nil {
		return h.HTTPClient
	}
	return &http.Client{Timeout: 30 * time.Second}
}
