package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/b24fake"
)

// twoPortals installs two portals that both link the file in a chat with the same dialog id.
func twoPortals(t *testing.T, set map[string]string) (*harness, *b24fake.Portal) {
	t.Helper()
	h := newHarness(t, set)
	h.install()
	other := h.newPortal()
	h.installPortal(other)
	h.link(fileURL())
	if code := h.command(other, chat, "link", fileURL()); code != 200 {
		t.Fatalf("/link in the second portal answered %d", code)
	}
	h.waitFor("the second /link reply", func() bool { return len(other.Messages(chat)) == 1 })
	return h, other
}

// Two portals with the same chat id see only their own links, messages and commands; one
// portal's token opens nothing of the other's.
func TestTwoPortalsIsolated(t *testing.T) {
	h, other := twoPortals(t, nil)
	if code := h.deliver("FILE_COMMENT", commentPayload("50", "Both see this")); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	h.waitFor("the comment in both portals", func() bool {
		return len(h.portal.Messages(chat)) == 2 && len(other.Messages(chat)) == 2
	})

	if code := h.command(h.portal, chat, "unlink", ""); code != 200 {
		t.Fatalf("/unlink answered %d", code)
	}
	h.waitFor("the /unlink reply", func() bool { return len(h.portal.Messages(chat)) == 3 })
	if code := h.deliver("FILE_COMMENT", commentPayload("51", "Only the other")); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	h.waitFor("the comment in the second portal", func() bool {
		return len(other.Messages(chat)) == 3
	})
	h.settle()
	if got := len(h.portal.Messages(chat)); got != 3 {
		t.Errorf("the unlinked portal got %d messages, want 3", got)
	}
	links, err := h.bot.Store.ChatLinks(t.Context(), other.MemberID(), chat)
	if err != nil || len(links) != 1 {
		t.Errorf("the second portal's links = %d (%v), want 1", len(links), err)
	}

	crossed := other.CommandEvent(chat, userID, "unlink", "")
	crossed.Set("auth[member_id]", h.portal.MemberID())
	if code := h.post("/b24/events", crossed); code != 401 {
		t.Errorf("second portal's token on the first portal's member_id answered %d", code)
	}
	checkKeysScoped(t, h, h.portal.MemberID(), other.MemberID())
}

// checkKeysScoped asserts that every figbot key naming a portal names exactly one, and that
// the others are the shared kinds (files, webhooks, budgets, caches, previews).
func checkKeysScoped(t *testing.T, h *harness, members ...string) {
	t.Helper()
	keys, err := h.rdb.Keys(t.Context(), "figbot:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	shared := []string{"figbot:portals", "figbot:file:", "figbot:files", "figbot:webhook",
		"figbot:budget:", "figbot:cache:", "figbot:preview:", "figbot:done:figma",
		"figbot:done:comment:", "figbot:done:webhook_trouble"}
	for _, k := range keys {
		named := 0
		for _, m := range members {
			if strings.Contains(k, m) {
				named++
			}
		}
		isShared := false
		for _, p := range shared {
			isShared = isShared || strings.HasPrefix(k, p)
		}
		if named > 1 || (named == 0 && !isShared) {
			t.Errorf("key %q is not scoped by one member_id", k)
		}
	}
}

// One portal's outage or rate limit does not hold up another portal's commands: the second
// portal's /help is answered within the contract's 3 s while the first portal's tasks fail.
func TestPortalOutageDoesNotDelayOther(t *testing.T) {
	tests := []struct {
		name  string
		set   map[string]string
		fault b24fake.Fault
	}{
		{"over the bot's own budget", map[string]string{"B24_RATE_PER_SEC": "2",
			"B24_RATE_BURST": "2"}, b24fake.Fault{}},
		{"rate limited", nil, b24fake.Fault{Status: 503, Code: "QUERY_LIMIT_EXCEEDED",
			Description: "Too many requests", Times: 1000}},
		{"down", nil, b24fake.Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR",
			Description: "Internal error", Times: 1000}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.set)
			h.install()
			other := h.newPortal()
			h.installPortal(other)
			if tc.fault.Status != 0 {
				h.portal.Fail("imbot.message.add", tc.fault)
			}
			for range 30 {
				if code := h.command(h.portal, chat, "help", ""); code != 200 {
					t.Fatalf("/help answered %d", code)
				}
			}
			h.waitFor("the failing portal's tasks running", func() bool {
				return h.portal.CallCount("imbot.message.add") >= 8
			})
			start := time.Now()
			if code := h.command(other, chat, "help", ""); code != 200 {
				t.Fatalf("/help answered %d", code)
			}
			h.waitFor("the other portal's reply", func() bool {
				return len(other.Messages(chat)) == 1
			})
			took := time.Since(start)
			t.Logf("reply on the healthy portal after %s", took)
			if took > 3*time.Second {
				t.Errorf("the healthy portal waited %s for its reply, over 3 s", took)
			}
			if tc.fault.Status == 0 {
				return
			}
			if diff := cmp.Diff(0, len(h.portal.Messages(chat))); diff != "" {
				t.Errorf("failing portal messages (-want +got):\n%s", diff)
			}
		})
	}
}
