package e2e

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

const (
	figmaClientID     = "fig-client-e2e"
	figmaClientSecret = "fig-secret-e2e"
)

// designer is the Figma account a portal admin connects; the handle checks HTML escaping.
var designer = figma.User{ID: "1234567890123456789", Handle: "ann<b>"}

// newOAuthHarness starts a bot with a Figma OAuth app and no FIGMA_TOKEN, installed.
func newOAuthHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, map[string]string{"FIGMA_CLIENT_ID": figmaClientID,
		"FIGMA_CLIENT_SECRET": figmaClientSecret, "FIGMA_TOKEN": ""})
	figmafake.WithOAuthClient(figmaClientID, figmaClientSecret)(h.figma)
	h.install()
	return h
}

// statusReply types /status in the chat and returns the reply's lines.
func (h *harness) statusReply() []string {
	h.t.Helper()
	before := len(h.portal.Messages(chat))
	if code := h.command(h.portal, chat, "status", ""); code != http.StatusOK {
		h.t.Fatalf("/status answered %d", code)
	}
	h.waitFor("the /status reply", func() bool { return len(h.portal.Messages(chat)) > before })
	msgs := h.portal.Messages(chat)
	return strings.Split(msgs[len(msgs)-1].Text, "\n")
}

// connectLink finds the connect link in /status lines; "" when there is none.
func connectLink(lines []string) string {
	for _, l := range lines {
		if _, rest, ok := strings.Cut(l, "[URL="); ok && strings.Contains(l, "connect Figma") {
			u, _, _ := strings.Cut(rest, "]")
			return u
		}
	}
	return ""
}

// getNoRedirect GETs a URL without following redirects; it returns status, Location, body.
func (h *harness) getNoRedirect(u string) (int, string, string) {
	h.t.Helper()
	c := &http.Client{Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodGet, u, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// redisValues returns every string stored in the test db: values, hash fields, set members.
func (h *harness) redisValues() []string {
	h.t.Helper()
	ctx := h.t.Context()
	var out []string
	keys, err := h.rdb.Keys(ctx, "*").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	for _, k := range keys {
		out = append(out, k)
		switch h.rdb.Type(ctx, k).Val() {
		case "string":
			out = append(out, h.rdb.Get(ctx, k).Val())
		case "hash":
			for f, v := range h.rdb.HGetAll(ctx, k).Val() {
				out = append(out, f, v)
			}
		case "set":
			out = append(out, h.rdb.SMembers(ctx, k).Val()...)
		case "list":
			out = append(out, h.rdb.LRange(ctx, k, 0, -1).Val()...)
		case "zset":
			out = append(out, h.rdb.ZRange(ctx, k, 0, -1).Val()...)
		}
	}
	return out
}

// A portal admin connects Figma through the link /status shows; the portal's Figma calls then
// go out with its own Bearer token, refreshed when it is about to expire.
func TestFigmaOAuthConnect(t *testing.T) {
	h := newOAuthHarness(t)
	member := h.portal.MemberID()
	publicURL := h.env["PUBLIC_URL"]

	link := connectLink(h.statusReply())
	lu, err := url.Parse(link)
	if err != nil || link == "" {
		t.Fatalf("no connect link in /status: %q", link)
	}
	if diff := cmp.Diff(publicURL+"/figma/oauth/start", lu.Scheme+"://"+lu.Host+lu.Path); diff != "" {
		t.Errorf("link base (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(member, lu.Query().Get("member")); diff != "" {
		t.Errorf("link member (-want +got):\n%s", diff)
	}

	code, loc, _ := h.getNoRedirect(link)
	if code != http.StatusFound {
		t.Fatalf("start answered %d, want 302", code)
	}
	au, _ := url.Parse(loc)
	q := au.Query()
	state := q.Get("state")
	got := map[string]string{"base": au.Scheme + "://" + au.Host + au.Path,
		"client_id": q.Get("client_id"), "redirect_uri": q.Get("redirect_uri"),
		"response_type": q.Get("response_type"), "scope": q.Get("scope"),
		"state_member": strings.Split(state, ".")[0]}
	want := map[string]string{"base": "https://www.figma.com/oauth", "client_id": figmaClientID,
		"redirect_uri": publicURL + "/figma/oauth/callback", "response_type": "code",
		"scope": strings.Join(queue.FigmaScopes, " "), "state_member": member}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("authorize URL (-want +got):\n%s", diff)
	}

	callback, err := h.figma.Authorize(loc, designer)
	if err != nil {
		t.Fatal(err)
	}
	code, _, body := h.getNoRedirect(callback)
	if code != http.StatusOK || !strings.Contains(body, "<p>Figma connected as @ann&lt;b&gt;</p>") {
		t.Fatalf("callback answered %d %q", code, body)
	}
	code, _, body = h.getNoRedirect(callback)
	if code != http.StatusBadRequest ||
		!strings.Contains(body, "Figma was not connected: unknown or used state.") {
		t.Errorf("used state answered %d %q, want 400", code, body)
	}

	access := h.figma.OAuthToken(designer.ID)
	tok, err := h.bot.Store.FigmaToken(t.Context(), member)
	if err != nil {
		t.Fatal(err)
	}
	gotTok := []string{tok.AccessToken, tok.UserID, tok.Handle}
	if diff := cmp.Diff([]string{access, designer.ID, designer.Handle}, gotTok); diff != "" {
		t.Errorf("stored token (-want +got):\n%s", diff)
	}
	if d := time.Until(tok.Expiry); d < 89*24*time.Hour || d > 91*24*time.Hour {
		t.Errorf("stored expiry in %s, want about 90 days", d)
	}
	for _, v := range h.redisValues() {
		if strings.Contains(v, access) || strings.Contains(v, tok.RefreshToken) {
			t.Fatalf("a plain Figma token is in Redis: %.40q", v)
		}
	}

	// /link in the portal's chat calls Figma as the connected account only
	mark := len(h.figma.Calls())
	h.link(fileURL())
	h.settle()
	calls := h.figma.Calls()[mark:]
	if len(calls) < 4 {
		t.Fatalf("/link made %d Figma calls, want meta, webhook list and 3 creations", len(calls))
	}
	for _, c := range calls {
		if c.Token != designer.ID {
			t.Errorf("%s %s went as %q, want the portal's account %q", c.Method, c.Path,
				c.Token, designer.ID)
		}
	}

	// a token about to expire is refreshed before the call, and the new one is saved
	tok.Expiry = time.Now().Add(-time.Minute)
	if err := h.bot.Store.SaveFigmaToken(t.Context(), member, tok); err != nil {
		t.Fatal(err)
	}
	mark = len(h.figma.Calls())
	lines := h.statusReply()
	var paths []string
	for _, c := range h.figma.Calls()[mark:] {
		paths = append(paths, c.Method+" "+c.Path+" "+c.Token)
	}
	wantPaths := []string{"POST /v1/oauth/token ", "GET /v1/me " + designer.ID}
	if diff := cmp.Diff(wantPaths, paths[:min(2, len(paths))]); diff != "" {
		t.Errorf("calls of /status after expiry (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff("Figma: ✓ "+bot.Quote(designer.Handle, 80), lines[1]); diff != "" {
		t.Errorf("/status Figma line (-want +got):\n%s", diff)
	}
	if l := connectLink(lines); l != "" {
		t.Errorf("a connected portal is offered a connect link: %s", l)
	}
	fresh, err := h.bot.Store.FigmaToken(t.Context(), member)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.AccessToken == access || fresh.AccessToken != h.figma.OAuthToken(designer.ID) {
		t.Errorf("stored token not replaced by the refreshed one")
	}
	if fresh.RefreshToken != tok.RefreshToken || time.Until(fresh.Expiry) < 89*24*time.Hour {
		t.Errorf("refreshed token kept refresh %t, expiry in %s",
			fresh.RefreshToken == tok.RefreshToken, time.Until(fresh.Expiry))
	}
}

// Links that the bot did not sign, that expired, or that outlive 15 minutes are refused, as
// are a denied consent and an exchange Figma refuses; none stores a token.
func TestFigmaOAuthRefusals(t *testing.T) {
	h := newOAuthHarness(t)
	member := h.portal.MemberID()
	base := h.bot.URL() + "/figma/oauth/start?"
	signed := func(m string, exp time.Time) string {
		e := strconv.FormatInt(exp.Unix(), 10)
		sig := h.bot.Store.Sealer().Sign(store.FigmaStartMessage(m, e))
		return base + url.Values{"member": {m}, "exp": {e}, "sig": {sig}}.Encode()
	}
	good := signed(member, time.Now().Add(10*time.Minute))
	tampered := strings.Replace(good, "member="+member, "member="+member+"x", 1)
	starts := []struct{ name, url, want string }{
		{"tampered member", tampered, "bad link"},
		{"bad signature", good[:len(good)-2] + "AA", "bad link"},
		{"no signature", base + "member=" + member, "bad link"},
		{"expired", signed(member, time.Now().Add(-time.Second)), "link expired"},
		{"too long", signed(member, time.Now().Add(2*time.Hour)), "bad link"},
		{"unknown portal", signed("nosuchportal", time.Now().Add(time.Minute)), "unknown portal"},
	}
	for _, tc := range starts {
		t.Run(tc.name, func(t *testing.T) {
			code, loc, body := h.getNoRedirect(tc.url)
			if code != http.StatusBadRequest || loc != "" ||
				!strings.Contains(body, "Figma was not connected: "+tc.want+".") {
				t.Errorf("start answered %d %q %q, want 400 %q", code, loc, body, tc.want)
			}
		})
	}

	newState := func() string {
		code, loc, _ := h.getNoRedirect(good)
		if code != http.StatusFound {
			t.Fatalf("good link answered %d", code)
		}
		u, _ := url.Parse(loc)
		return u.Query().Get("state")
	}
	cb := h.bot.URL() + "/figma/oauth/callback?"
	redirect := h.env["PUBLIC_URL"] + "/figma/oauth/callback"
	callbacks := []struct{ name, query, want string }{
		{"denied", url.Values{"error": {"access_denied"}, "state": {newState()}}.Encode(),
			"access denied"},
		{"unknown state", url.Values{"code": {h.figma.IssueCode(designer, redirect)},
			"state": {member + ".forged"}}.Encode(), "unknown or used state"},
		{"unknown code", url.Values{"code": {"nosuchcode"}, "state": {newState()}}.Encode(),
			"exchange failed"},
		{"other redirect", url.Values{"code": {h.figma.IssueCode(designer, "https://x.test/cb")},
			"state": {newState()}}.Encode(), "exchange failed"},
	}
	for _, tc := range callbacks {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := h.getNoRedirect(cb + tc.query)
			if code != http.StatusBadRequest ||
				!strings.Contains(body, "Figma was not connected: "+tc.want+".") {
				t.Errorf("callback answered %d %q, want 400 %q", code, body, tc.want)
			}
			if strings.Contains(body, figmaClientSecret) {
				t.Errorf("the page shows the client secret")
			}
		})
	}
	if _, err := h.bot.Store.FigmaToken(t.Context(), member); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a token was stored after refusals: err = %v", err)
	}
}
