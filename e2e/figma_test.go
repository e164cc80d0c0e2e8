package e2e

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
)

// A PING with the hook's passcode is answered 200; a wrong passcode 400, counted once in
// figbot_figma_passcode_mismatch_total. A hook the bot created is checked against the
// passcode it stored, not FIGMA_WEBHOOK_PASSCODE.
func TestFigmaPasscodes(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	hook := h.figma.Webhooks()[0].ID
	tests := []struct {
		name    string
		payload map[string]any
		want    int
	}{
		{"ping with the stored passcode", map[string]any{"event_type": "PING"}, 200},
		{"ping with a wrong passcode", map[string]any{"event_type": "PING",
			"passcode": "wrong"}, http.StatusBadRequest},
		{"FIGMA_WEBHOOK_PASSCODE on a hook the bot created", map[string]any{
			"event_type": "PING", "passcode": "e2e-passcode"}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := h.figma.Deliver(t.Context(), hook, tc.payload)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.want {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.want)
			}
		})
	}
	_, metrics := h.get("/metrics")
	if !strings.Contains(metrics, "\nfigbot_figma_passcode_mismatch_total 2\n") {
		t.Errorf("mismatch metric is not 2:\n%s", grepLines(metrics, "passcode"))
	}
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// A delivery Figma sends twice becomes one task.
func TestFigmaDuplicateDeliveryOneTask(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	keys := h.taskKeys()
	for range 3 {
		if code := h.deliver("FILE_COMMENT", commentPayload("60", "twice")); code != 200 {
			t.Fatalf("delivery answered %d", code)
		}
	}
	if diff := cmp.Diff([]string{"figma:event"}, h.newTaskTypes(keys)); diff != "" {
		t.Errorf("tasks (-want +got):\n%s", diff)
	}
}

// Figma's 429 parks the task for Retry-After without sleeping and without spending a retry,
// and the chat is told once that the request waits.
func TestFigma429Parks(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.figma.Fail("GET", "/v1/", figmafake.Fault{Status: 429,
		Header: http.Header{"Retry-After": {"180"}}, Times: 5})
	start := time.Now()
	if code := h.command(h.portal, chat, "preview", fileURL()); code != 200 {
		t.Fatalf("/preview answered %d", code)
	}
	h.waitFor("the wait notice", func() bool { return len(h.portal.Messages(chat)) == 1 })
	want := bot.T(bot.Lang("en"), "rate_limited", "3 minutes")
	if diff := cmp.Diff(want, h.portal.Messages(chat)[0].Text); diff != "" {
		t.Errorf("notice (-want +got):\n%s", diff)
	}
	insp := asynq.NewInspectorFromRedisClient(h.rdb)
	var parked []*asynq.TaskInfo
	h.waitFor("the parked task", func() bool {
		parked, _ = insp.ListRetryTasks("critical")
		return len(parked) == 1
	})
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("parking took %s: the task slept", took)
	}
	p := parked[0]
	if p.Retried != 0 {
		t.Errorf("retries spent = %d, want 0", p.Retried)
	}
	wait := time.Until(p.NextProcessAt)
	if wait < 170*time.Second || wait > 220*time.Second {
		t.Errorf("task runs again in %s, want Retry-After 180 s plus jitter", wait)
	}
	if got := h.figma.CallCount("GET", "/v1/"); got != 1 {
		t.Errorf("Figma calls = %d, want 1", got)
	}
}

// Two bot processes on one Redis share the Figma budget: with FIGMA_RATE_PER_MIN 5 for tier
// 3, a dozen /status commands (each calls GET /v1/me) reach Figma at most 5 times.
func TestFigmaSharedBudgetTwoWorkers(t *testing.T) {
	h := newHarness(t, map[string]string{"FIGMA_RATE_PER_MIN": "600,600,5"})
	h.figma.RateLimit(map[figma.Tier]int{figma.Tier3: 5})
	h.install()
	other := h.startBot(app.RoleWorker, nil)
	const n = 12
	for i := range n {
		if code := h.command(h.portal, chat, "status", ""); code != 200 {
			t.Fatalf("/status %d answered %d", i, code)
		}
	}
	h.waitFor("every /status reply", func() bool { return len(h.portal.Messages(chat)) == n })
	calls := h.figma.CallCount("GET", "/v1/me")
	t.Logf("GET /v1/me reached the fake %d times for %d commands", calls, n)
	if calls > 5 {
		t.Errorf("Figma got %d tier-3 calls in under a minute, budget 5", calls)
	}
	// the second process finds the budget spent: it refuses locally and calls nobody
	_, err := other.Handlers().Figma.Me(t.Context())
	var rl *figma.RateLimitError
	if !errors.As(err, &rl) || !rl.Local {
		t.Errorf("second process's call = %v, want a local rate limit", err)
	}
	if got := h.figma.CallCount("GET", "/v1/me"); got != calls {
		t.Errorf("the second process reached Figma over budget (%d calls)", got)
	}
}

// /link reuses hooks that already send the file to this bot (made with FIGMA_WEBHOOK_PASSCODE,
// as `figbot webhooks register` does), and their deliveries pass with that passcode.
func TestFigmaLinkReusesHooks(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	c := figma.NewClient(h.figma.URL(), figma.WithToken(botToken))
	for _, ev := range []string{"FILE_COMMENT", "FILE_VERSION_UPDATE", "FILE_UPDATE"} {
		if _, err := c.CreateWebhook(t.Context(), figma.NewWebhook{EventType: ev,
			Context: "file", ContextID: fileKey, Endpoint: h.bot.URL() + "/figma/webhook",
			Passcode: "e2e-passcode", Status: "ACTIVE"}); err != nil {
			t.Fatal(err)
		}
	}
	h.link(fileURL())
	h.settle()
	if got := h.figma.CallCount("POST", "/v2/webhooks"); got != 3 {
		t.Errorf("webhooks created = %d, want only the 3 made before /link", got)
	}
	if code := h.deliver("FILE_COMMENT", commentPayload("70", "via the old hook")); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	h.waitFor("the comment", func() bool { return len(h.portal.Messages(chat)) == 2 })
}

// A 403 while making sure of webhooks is told to the chat in words.
func TestFigmaLinkWebhook403(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.figma.Fail("GET", "/v2/webhooks", figmafake.Fault{Status: 403,
		Body: `{"error":true,"status":403,"message":"Invalid scope(s): webhooks:write"}`})
	if code := h.command(h.portal, chat, "link", fileURL()); code != 200 {
		t.Fatalf("/link answered %d", code)
	}
	h.waitFor("the reply and the warning", func() bool { return len(h.portal.Messages(chat)) == 2 })
	want := bot.T(bot.Lang("en"), "webhook_denied", fileKey, "the Figma token lacks a scope",
		fileKey)
	if diff := cmp.Diff(want, h.portal.Messages(chat)[1].Text); diff != "" {
		t.Errorf("warning (-want +got):\n%s", diff)
	}
	if got := len(h.figma.Webhooks()); got != 0 {
		t.Errorf("webhooks = %d, want 0", got)
	}
}

// The periodic check re-creates a hook Figma lost, with a new passcode the bot stores.
func TestFigmaCheckRecreatesLostHook(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.settle()
	lost := h.figma.Webhooks()[0]
	c := figma.NewClient(h.figma.URL(), figma.WithToken(botToken))
	if err := c.DeleteWebhook(t.Context(), lost.ID); err != nil {
		t.Fatal(err)
	}
	runScheduled(t, h)
	h.waitFor("three hooks again", func() bool { return len(h.figma.Webhooks()) == 3 })
	h.settle()
	var events []string
	for _, w := range h.figma.Webhooks() {
		events = append(events, w.EventType)
		if w.ID == lost.ID {
			t.Error("the lost hook is still there")
		}
	}
	want := []string{"FILE_VERSION_UPDATE", "FILE_UPDATE", lost.EventType}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}
	if _, err := h.bot.Store.Webhook(t.Context(), lost.ID); err == nil {
		t.Error("the bot still remembers the lost hook")
	}
	if code := h.deliver(lost.EventType, commentPayload("80", "new hook")); code != 200 {
		t.Errorf("delivery through the new hook answered %d", code)
	}
}
