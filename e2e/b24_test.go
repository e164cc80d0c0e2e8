package e2e

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/b24"
)

// Every published event shape reaches the intake and becomes the task it should: the JSON
// rendering of a sample is the same delivery as its form body, so it is a duplicate.
func TestB24EventSamples(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	before := h.storedPortal(h.portal.MemberID())

	tests := []struct {
		sample string
		status int
		want   []string // task types enqueued
	}{
		{"event-ONIMCOMMANDADD-group.form.txt", 200, []string{"b24:command"}},
		{"event-ONIMCOMMANDADD-group.json", 200, nil},
		{"event-ONIMCOMMANDADD-private.json", 200, []string{"b24:command"}},
		{"event-ONIMCOMMANDADD-private.form.txt", 200, nil},
		{"event-ONIMBOTMESSAGEADD-group.form.txt", 200, nil}, // no command in the text
		{"event-ONIMBOTMESSAGEADD-private.json", 200, nil},   // "Hello" is no command
		{"event-ONIMBOTJOINCHAT-group.form.txt", 200, []string{"b24:join"}},
		{"event-ONIMBOTJOINCHAT-private.json", 200, []string{"b24:join"}},
		{"event-ONTASKADD.form.txt", 200, []string{"b24:task_event"}},
		{"event-ONTASKUPDATE.json", 200, []string{"b24:task_event"}},
		{"event-ONIMBOTDELETE.form.txt", 200, nil},
		{"event-ONCRMLEADADD-outgoing-webhook.captured.form.txt", 200, nil},
		{"event-ONIMBOTV2-webhook-envelope.json", http.StatusBadRequest, nil},
		// the sample's install carries tokens the portal never issued: checked, then dropped
		{"event-ONAPPINSTALL.form.txt", 200, []string{"b24:install"}},
		{"event-ONAPPUNINSTALL.form.txt", 200, []string{"b24:uninstall"}},
	}
	for _, tc := range tests {
		t.Run(tc.sample, func(t *testing.T) {
			ctype, body := sampleEvent(t, tc.sample, h.portal)
			path := "/b24/events"
			if strings.Contains(tc.sample, "ONAPPINSTALL") {
				path = "/b24/install"
			}
			keys := h.taskKeys()
			if got := h.postRaw(path, ctype, body); got != tc.status {
				t.Fatalf("status %d, want %d", got, tc.status)
			}
			if diff := cmp.Diff(tc.want, h.newTaskTypes(keys)); diff != "" {
				t.Errorf("tasks (-want +got):\n%s", diff)
			}
			if strings.Contains(tc.sample, "ONAPPINSTALL") {
				h.settle()
				after := h.storedPortal(h.portal.MemberID())
				if after.AccessToken != before.AccessToken {
					t.Error("an install with tokens the portal never issued replaced the portal")
				}
			}
		})
	}
	h.waitFor("the uninstall", func() bool {
		_, err := h.bot.Store.Portal(t.Context(), h.portal.MemberID())
		return err != nil
	})
}

// Events with a forged application_token, or naming an endpoint that is not allowed, are
// answered 401 and change nothing; the uninstall included.
func TestB24ForgedEvents(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	forge := func(v url.Values) url.Values {
		v.Set("auth[application_token]", "forged")
		return v
	}
	elsewhere := func(v url.Values) url.Values {
		v.Set("auth[client_endpoint]", "https://evil.example.com/rest/")
		return v
	}
	tests := []struct {
		name string
		body url.Values
	}{
		{"command", forge(h.portal.CommandEvent(chat, userID, "unlink", ""))},
		{"uninstall", forge(h.portal.UninstallEvent())},
		{"task update", forge(h.portal.TaskEvent("ONTASKUPDATE", taskID))},
		{"no token", func() url.Values {
			v := h.portal.UninstallEvent()
			v.Del("auth[application_token]")
			return v
		}()},
		{"command from another endpoint", elsewhere(h.portal.CommandEvent(chat, userID,
			"unlink", ""))},
		{"uninstall from another endpoint", elsewhere(h.portal.UninstallEvent())},
	}
	keys := h.taskKeys()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.post("/b24/events", tc.body); got != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", got)
			}
		})
	}
	t.Run("json body with a forged token", func(t *testing.T) {
		_, body := sampleEvent(t, "event-ONAPPUNINSTALL.json", h.portal)
		body = strings.Replace(body, h.portal.ApplicationToken(), "forged", 1)
		if got := h.postRaw("/b24/events", "application/json", body); got != 401 {
			t.Errorf("status %d, want 401", got)
		}
	})
	if got := h.newTaskTypes(keys); len(got) != 0 {
		t.Errorf("refused events enqueued %v", got)
	}
	links, err := h.bot.Store.ChatLinks(t.Context(), h.portal.MemberID(), chat)
	if err != nil || len(links) != 1 {
		t.Errorf("chat links after forged events = %d (%v), want 1", len(links), err)
	}
}

// The install page's frame POST is answered with the page that calls BX24.installFinish(),
// and the portal is stored once its token has worked.
func TestB24InstallFrame(t *testing.T) {
	h := newHarness(t, nil)
	access, refresh := h.portal.IssueTokens()
	host := strings.TrimPrefix(h.portal.URL(), "http://")
	form := url.Values{"AUTH_ID": {access}, "AUTH_EXPIRES": {"3600"}, "REFRESH_ID": {refresh},
		"SERVER_ENDPOINT": {h.portal.URL() + "/rest/"}, "member_id": {h.portal.MemberID()},
		"APPLICATION_TOKEN": {h.portal.ApplicationToken()}, "status": {"L"},
		"APPLICATION_SCOPE": {"imbot,im,task"}, "PLACEMENT": {"DEFAULT"}}
	code, page := h.postPage("/b24/install?DOMAIN="+host+"&PROTOCOL=0&LANG=en&APP_SID=x", form)
	if code != http.StatusOK {
		t.Fatalf("frame POST answered %d", code)
	}
	if !strings.Contains(page, "BX24.installFinish()") {
		t.Errorf("install page does not call BX24.installFinish():\n%s", page)
	}
	if strings.Contains(page, access) || strings.Contains(page, refresh) {
		t.Error("install page shows a token")
	}
	h.waitFor("commands registered", func() bool {
		return h.portal.CallCount("imbot.command.register") >= 8
	})
	p := h.storedPortal(h.portal.MemberID())
	want := []string{h.portal.ClientEndpoint(), access, refresh}
	got := []string{p.ClientEndpoint, p.AccessToken, p.RefreshToken}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored portal (-want +got):\n%s", diff)
	}
}

// A re-install registers nothing twice, and replaces the stored portal only when its new
// token works.
func TestB24Reinstall(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	first := h.storedPortal(h.portal.MemberID())

	forged := h.portal.InstallEvent(h.bot.URL() + "/b24/install")
	forged.Set("auth[access_token]", "not-issued-by-the-portal")
	if code := h.post("/b24/install", forged); code != 200 {
		t.Fatalf("re-install answered %d", code)
	}
	h.waitFor("the token check", func() bool {
		keys, _ := h.rdb.Keys(t.Context(), "figbot:pending_install:*").Result()
		return len(keys) == 0
	})
	h.settle()
	if got := h.storedPortal(h.portal.MemberID()); got.AccessToken != first.AccessToken {
		t.Error("an install whose token does not work replaced the stored portal")
	}

	good := h.portal.InstallEvent(h.bot.URL() + "/b24/install")
	if code := h.post("/b24/install", good); code != 200 {
		t.Fatalf("re-install answered %d", code)
	}
	h.waitFor("the new token stored", func() bool {
		return h.storedPortal(h.portal.MemberID()).AccessToken == good.Get("auth[access_token]")
	})
	h.settle()

	got := map[string]int{"bots": len(h.portal.Bots()),
		"events": len(h.portal.EventBindings()), "placements": len(h.portal.Placements()),
		"fields": len(h.portal.UserFields())}
	for _, m := range []string{"imbot.register", "imbot.command.register", "event.bind",
		"placement.bind", "task.item.userfield.add"} {
		got[m] = h.portal.CallCount(m)
	}
	want := map[string]int{"bots": 1, "events": 4, "placements": 1, "fields": 2,
		"imbot.register": 1, "imbot.command.register": 8, "event.bind": 4, "placement.bind": 1,
		"task.item.userfield.add": 2}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("after two re-installs (-want +got):\n%s", diff)
	}
	if code := h.command(h.portal, chat, "help", ""); code != 200 {
		t.Fatalf("/help answered %d", code)
	}
	h.waitFor("the /help reply", func() bool { return len(h.portal.Messages(chat)) == 1 })
}

// Two processes on one Redis hit expired_token at once: the portal is refreshed once and every
// call succeeds with the new token.
func TestB24RefreshRaceTwoProcesses(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	other := h.startBot(app.RoleWorker, nil)
	h.portal.ExpireAccessTokens()

	clients := []*b24.Client{h.bot.Handlers().B24, other.Handlers().B24}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 {
		wg.Go(func() {
			_, err := clients[i%2].AppInfo(t.Context(), h.portal.MemberID())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call after expiry: %v", err)
		}
	}
	if got := h.portal.RefreshCount(); got != 1 {
		t.Errorf("refreshes = %d, want 1", got)
	}
	if p := h.storedPortal(h.portal.MemberID()); p.NeedsReinstall {
		t.Error("portal marked for re-install after a good refresh")
	}
}

// A portal that moved answers 302; the bot follows, the reply arrives, and the new endpoint is
// stored, so later calls go there directly.
func TestB24PortalMoved(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	moved := h.newPortal()
	h.portal.MoveTo(moved)
	if code := h.command(h.portal, chat, "help", ""); code != 200 {
		t.Fatalf("/help after the move answered %d", code)
	}
	h.waitFor("the reply at the new address", func() bool {
		return len(h.portal.Messages(chat)) == 1
	})
	if got := h.storedPortal(h.portal.MemberID()).ClientEndpoint; got != moved.ClientEndpoint() {
		t.Errorf("stored endpoint %q, want %q", got, moved.ClientEndpoint())
	}
}

// A storm of commands on a portal that allows 2 calls per second (burst 5) loses no reply and
// doubles none: refused calls are parked and sent again.
func TestB24RateStormNoLostCall(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.portal.SetRate(2, 5)
	const n = 12
	for i := range n {
		if code := h.command(h.portal, chat, "help", ""); code != 200 {
			t.Fatalf("command %d answered %d", i, code)
		}
	}
	h.waitFor("every reply", func() bool { return len(h.portal.Messages(chat)) >= n })
	h.settle()
	if got := len(h.portal.Messages(chat)); got != n {
		t.Errorf("replies = %d, want %d", got, n)
	}
	_, metrics := h.get("/metrics")
	if !strings.Contains(metrics, `figbot_tasks_total{result="parked",type="b24:command"}`) {
		t.Error("no command was parked: the storm did not hit the portal's limit")
	}
}

// B24 refuses the refresh token: the portal is marked for re-install once, its tasks stop
// calling B24, and a re-install clears the mark.
func TestB24InvalidGrant(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	spendRefreshToken(t, h)
	h.portal.ExpireAccessTokens()
	for range 3 {
		if code := h.command(h.portal, chat, "help", ""); code != 200 {
			t.Fatalf("/help answered %d", code)
		}
	}
	h.waitFor("the re-install mark", func() bool {
		return h.storedPortal(h.portal.MemberID()).NeedsReinstall
	})
	h.settle()
	if got := h.portal.RefreshCount(); got != 1 {
		t.Errorf("granted refreshes = %d, want 1 (the test's own)", got)
	}
	marks, _ := h.rdb.Keys(t.Context(), "figbot:done:invalid_grant:*").Result()
	want := []string{"figbot:done:invalid_grant:" + h.portal.MemberID()}
	if diff := cmp.Diff(want, marks); diff != "" {
		t.Fatalf("invalid_grant marks (-want +got):\n%s", diff)
	}

	h.install()
	h.waitFor("the mark cleared", func() bool {
		return !h.storedPortal(h.portal.MemberID()).NeedsReinstall
	})
	if n, _ := h.rdb.Exists(t.Context(), marks[0]).Result(); n != 0 {
		t.Error("a re-install kept the invalid_grant mark: the next one would go untold")
	}
}

// spendRefreshToken uses the stored refresh token at the OAuth server, as another copy of the
// app would, so the bot's next refresh gets invalid_grant.
func spendRefreshToken(t *testing.T, h *harness) {
	t.Helper()
	p := h.storedPortal(h.portal.MemberID())
	o := &b24.OAuth{BaseURL: h.portal.OAuthURL(), ClientID: h.portal.ClientID(),
		ClientSecret: h.portal.ClientSecret(), HTTP: http.DefaultClient}
	if _, err := o.Refresh(t.Context(), p.RefreshToken); err != nil {
		t.Fatal(err)
	}
}

// ONAPPUNINSTALL removes the portal's tokens and links, and its scheduled work stops: a
// comment on its file reaches no chat and no call is made to the portal.
func TestB24Uninstall(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	member := h.portal.MemberID()
	if code := h.post("/b24/events", h.portal.UninstallEvent()); code != 200 {
		t.Fatalf("uninstall answered %d", code)
	}
	h.waitFor("the portal gone", func() bool {
		_, err := h.bot.Store.Portal(t.Context(), member)
		return err != nil
	})
	keys, _ := h.rdb.Keys(t.Context(), "figbot:*"+member+"*").Result()
	if len(keys) != 0 {
		t.Errorf("keys left for the portal: %v", keys)
	}
	for _, k := range []string{"figbot:file:" + fileKey + ":chats", "figbot:portals"} {
		members, _ := h.rdb.SMembers(t.Context(), k).Result()
		for _, m := range members {
			if strings.Contains(m, member) {
				t.Errorf("%s still names the portal: %q", k, m)
			}
		}
	}

	calls := len(h.portal.Calls())
	if code := h.deliver("FILE_COMMENT", commentPayload("77", "after uninstall")); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	runScheduled(t, h)
	h.settle()
	if got := len(h.portal.Calls()); got != calls {
		t.Errorf("the bot called the uninstalled portal %d times", got-calls)
	}
	if code := h.command(h.portal, chat, "help", ""); code != http.StatusUnauthorized {
		t.Errorf("command after uninstall answered %d, want 401", code)
	}
}

// runScheduled enqueues the periodic jobs now, as the worker's loop would at their slot.
func runScheduled(t *testing.T, h *harness) {
	t.Helper()
	for _, typ := range []string{"preview:refresh_all", "figma:check_webhooks"} {
		if _, err := h.bot.Jobs.Add(context.WithoutCancel(t.Context()), typ, struct{}{},
			typ+":test"); err != nil {
			t.Fatal(err)
		}
	}
}
