package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/figma"
)

// texts returns what the bot posted to a dialog, oldest first.
func (h *harness) texts(dialog string) []string {
	var out []string
	for _, m := range h.portal.Messages(dialog) {
		out = append(out, m.Text)
	}
	return out
}

// say types /name args in the chat and waits for the bot's reply; it returns the reply.
func (h *harness) say(name, args string) string {
	h.t.Helper()
	before := len(h.portal.Messages(chat))
	if code := h.post("/b24/events", h.portal.CommandEvent(chat, userID, name, args)); code != 200 {
		h.t.Fatalf("/%s answered %d", name, code)
	}
	h.waitFor("the reply to /"+name, func() bool { return len(h.portal.Messages(chat)) > before })
	return h.texts(chat)[before]
}

// linkTask puts the file URL in the task's UF_FIGMA_URL and tells the bot the task changed.
func (h *harness) linkTask(status string) {
	h.t.Helper()
	h.portal.AddUser(b24fake.User{ID: "547", Name: "Alex Developer"})
	h.portal.AddTask(b24fake.Task{ID: taskID, Title: "Checkout page", Status: status,
		ResponsibleID: "547", Fields: map[string]string{"UF_FIGMA_URL": fileURL()}})
	before := h.portal.CallCount("tasks.task.get")
	if code := h.post("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", taskID)); code != 200 {
		h.t.Fatalf("ONTASKUPDATE answered %d", code)
	}
	h.waitFor("the task read", func() bool { return h.portal.CallCount("tasks.task.get") > before })
	h.settle()
}

func TestVersionGoesToTaskAndChat(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.linkTask("3")
	ev := map[string]any{"event_type": "FILE_VERSION_UPDATE", "file_key": fileKey,
		"file_name": "Checkout", "version_id": "443", "label": "Ready for dev",
		"description": "Spacing [b]fixed[/b]", "created_at": time.Now().UTC().Format(time.RFC3339),
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana"}}
	for range 2 {
		if code := h.deliver("FILE_VERSION_UPDATE", ev); code != 200 {
			t.Fatalf("delivery answered %d", code)
		}
	}
	h.waitFor("the task comment", func() bool { return len(h.portal.TaskComments(taskID)) == 1 })
	h.waitFor("the chat message", func() bool { return len(h.portal.Messages(chat)) == 2 })
	h.settle()

	wantTask := "[USER=547]Alex Developer[/USER], a new version of the design is ready: " +
		"Ready for dev\nSpacing [\u200bb]fixed[\u200b/b]\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "]Open in Figma[/URL]"
	comments := h.portal.TaskComments(taskID)
	if len(comments) != 1 {
		t.Fatalf("task has %d comments, want 1", len(comments))
	}
	if diff := cmp.Diff(wantTask, comments[0].Message); diff != "" {
		t.Errorf("task comment (-want +got):\n%s", diff)
	}
	wantChat := "🆕 New version of Checkout: Ready for dev\nSpacing [\u200bb]fixed[\u200b/b]\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "]Open in Figma[/URL]"
	if diff := cmp.Diff(wantChat, h.texts(chat)[1]); diff != "" {
		t.Errorf("chat message (-want +got):\n%s", diff)
	}
}

func TestFileUpdatesCoalesceAndDeleteMarksLinksDead(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	if got := h.say("subscribe", "comments,updates,deletes"); got !=
		"This chat now receives: comments, updates, deletes." {
		t.Fatalf("/subscribe reply %q", got)
	}
	update := map[string]any{"event_type": "FILE_UPDATE", "file_key": fileKey,
		"file_name": "Checkout"}
	for i := range 3 {
		update["timestamp"] = time.Now().UTC().Add(time.Duration(i) * time.Millisecond).
			Format(time.RFC3339Nano)
		if code := h.deliver("FILE_UPDATE", update); code != 200 {
			t.Fatalf("delivery %d answered %d", i, code)
		}
	}
	h.waitFor("the update notice", func() bool { return len(h.portal.Messages(chat)) >= 3 })
	h.settle()
	msgs := h.texts(chat)
	updates := 0
	for _, m := range msgs {
		updates += strings.Count(m, "was edited in Figma")
	}
	if updates != 1 {
		t.Errorf("%d update notices for one window, want 1: %q", updates, msgs)
	}

	del := map[string]any{"event_type": "FILE_DELETE", "file_key": fileKey,
		"file_name": "Checkout", "triggered_by": map[string]string{"id": "1", "handle": "Dana"}}
	if code := h.postJSON("/figma/webhook", withPasscode(del, "e2e-passcode")); code != 200 {
		t.Fatalf("FILE_DELETE answered %d", code)
	}
	h.waitFor("the delete notice", func() bool {
		return strings.Contains(strings.Join(h.texts(chat), "\n"), "was deleted in Figma")
	})
	if got := h.say("links", ""); !strings.Contains(got, "deleted in Figma") {
		t.Errorf("/links does not show the dead link: %q", got)
	}
}

func withPasscode(m map[string]any, pass string) map[string]any {
	out := map[string]any{"passcode": pass, "webhook_id": "team-hook-1",
		"timestamp": time.Now().UTC().Format(time.RFC3339)}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func TestLibraryAndDevModeOnlyToSubscribedChats(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	lib := map[string]any{"event_type": "LIBRARY_PUBLISH", "file_key": fileKey,
		"file_name": "Checkout", "description": "colors",
		"created_components": []map[string]string{{"key": "k1", "name": "Button"}},
		"triggered_by":       map[string]string{"id": "1", "handle": "Dana"}}
	if code := h.postJSON("/figma/webhook", withPasscode(lib, "e2e-passcode")); code != 200 {
		t.Fatalf("LIBRARY_PUBLISH answered %d", code)
	}
	h.settle()
	if got := len(h.portal.Messages(chat)); got != 1 {
		t.Fatalf("a chat not subscribed to library got it: %q", h.texts(chat))
	}
	h.say("subscribe", "library devmode")
	lib["timestamp"] = "2026-01-01T00:00:01Z"
	dev := map[string]any{"event_type": "DEV_MODE_STATUS_UPDATE", "file_key": fileKey,
		"file_name": "Checkout", "node_id": "1:2", "status": "READY_FOR_DEV",
		"triggered_by": map[string]string{"id": "1", "handle": "Dana"}}
	for _, ev := range []map[string]any{lib, dev} {
		if code := h.postJSON("/figma/webhook", withPasscode(ev, "e2e-passcode")); code != 200 {
			t.Fatalf("%s answered %d", ev["event_type"], code)
		}
	}
	h.waitFor("library and dev mode notices", func() bool {
		all := strings.Join(h.texts(chat), "\n")
		return strings.Contains(all, "published library changes: + Button") &&
			strings.Contains(all, "a layer is now READY_FOR_DEV")
	})
}

// A designer resolving 30 comments at once: the chat gets a digest, not 30 messages.
func TestBurstBecomesDigest(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	const burst = 30
	for i := range burst {
		p := commentPayload(fmt.Sprint(100+i), fmt.Sprintf("note %02d", i))
		if code := h.deliver("FILE_COMMENT", p); code != 200 {
			t.Fatalf("delivery %d answered %d", i, code)
		}
	}
	h.waitFor("every note", func() bool {
		return strings.Count(strings.Join(h.texts(chat), "\n"), "note ") == burst
	})
	h.settle()
	msgs := h.texts(chat)[1:]
	if len(msgs) > 4 {
		t.Errorf("%d messages for a burst of %d, want a digest of at most 4", len(msgs), burst)
	}
	if !strings.Contains(msgs[0], "new events in Figma:") {
		t.Errorf("first message is not a digest: %q", msgs[0])
	}
}

func TestNoEchoAndNoRepostOnRefire(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	own := commentPayload("70", "written by the bot")
	own["triggered_by"] = map[string]string{"id": botFigmID, "handle": "figbot"}
	h.deliver("FILE_COMMENT", own)

	first := commentPayload("71", "looks good")
	h.deliver("FILE_COMMENT", first)
	h.waitFor("the comment", func() bool { return len(h.portal.Messages(chat)) == 2 })
	resolved := commentPayload("71", "looks good")
	resolved["resolved_at"] = time.Now().UTC().Format(time.RFC3339)
	resolved["timestamp"] = time.Now().Add(time.Minute).UTC().Format(time.RFC3339)
	h.deliver("FILE_COMMENT", resolved)
	h.settle()
	msgs := h.texts(chat)
	if len(msgs) != 2 || strings.Contains(strings.Join(msgs, ""), "written by the bot") {
		t.Errorf("chat got %q; want only the /link reply and one comment", msgs)
	}
}

func TestMaliciousCommentIsInert(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	p := commentPayload("80", "[USER=all]everyone[/USER] [URL=https://evil.example]click[/URL]")
	p["triggered_by"] = map[string]string{"id": "9", "handle": "[B]Mallory[/B]"}
	p["file_name"] = "[COLOR=red]x[/COLOR]"
	h.deliver("FILE_COMMENT", p)
	h.waitFor("the comment", func() bool { return len(h.portal.Messages(chat)) == 2 })
	got := h.texts(chat)[1]
	want := "💬 [\u200bB]Mallory[\u200b/B] commented on [\u200bCOLOR=red]x[\u200b/COLOR]:\n" +
		"[\u200bUSER=all]everyone[\u200b/USER] [\u200bURL=https://evil.example]click[\u200b/URL]\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "#80]Open the comment[/URL]"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
}

func TestReplyThreadsAndMentions(t *testing.T) {
	h := newHarness(t, nil)
	h.portal.AddUser(b24fake.User{ID: "610", Name: "Ivan Petrov", Email: "ivan@example.com"})
	h.install()
	h.link(fileURL())
	h.figma.AddComment(fileKey, figma.Comment{ID: "90", NodeID: nodeID, Message: "root",
		User: figma.User{ID: "2", Handle: "Dana"}})
	root := commentPayload("90", "")
	root["comment"] = []map[string]string{{"text": "Please check, "},
		{"mention": "3"}, {"text": " and "}, {"mention": "4"}}
	root["mentions"] = []map[string]string{{"id": "3", "handle": "Ivan", "email": "ivan@example.com"},
		{"id": "4", "handle": "Olga"}}
	h.deliver("FILE_COMMENT", root)
	h.waitFor("the root comment", func() bool { return len(h.portal.Messages(chat)) == 2 })
	reply := commentPayload("91", "done")
	reply["parent_id"] = "90"
	h.deliver("FILE_COMMENT", reply)
	h.waitFor("the reply", func() bool { return len(h.portal.Messages(chat)) == 3 })

	msgs := h.portal.Messages(chat)
	wantRoot := "💬 Dana commented on Checkout (frame 1:2):\n" +
		"Please check, [USER=610]Ivan[/USER] and @Olga\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "?node-id=1-2#90]Open the comment[/URL]"
	if diff := cmp.Diff(wantRoot, msgs[1].Text); diff != "" {
		t.Errorf("root message (-want +got):\n%s", diff)
	}
	if msgs[2].ReplyID != msgs[1].ID {
		t.Errorf("reply posted with REPLY_ID %q, want the root's message %q", msgs[2].ReplyID,
			msgs[1].ID)
	}
}

func TestCommandsByMentionAndPrivateChat(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	botID := ""
	for _, b := range h.portal.Bots() {
		botID = b.ID
	}
	tests := []struct {
		name, dialog, text, want string
	}{
		{"mention in a group chat", chat, "[USER=" + botID + "]figbot[/USER] /links",
			"This chat has no Figma links yet. Add one with /link <figma url>."},
		{"private chat", userID, "/subscribe nonsense",
			"Send /subscribe with any of: comments, versions, updates, deletes, library, " +
				"devmode, all, none."},
		{"unknown command", chat, "[USER=" + botID + "]figbot[/USER] /dance",
			"I do not know the command /dance. Type /help to see what I can do."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.portal.Messages(tc.dialog))
			code := h.post("/b24/events", h.portal.MessageEvent(tc.dialog, userID, tc.text))
			if code != http.StatusOK {
				t.Fatalf("answered %d", code)
			}
			h.waitFor("the reply", func() bool { return len(h.portal.Messages(tc.dialog)) > before })
			if diff := cmp.Diff(tc.want, h.texts(tc.dialog)[before]); diff != "" {
				t.Errorf("reply (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinkUnlinkLinksAndRussian(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	if got := h.say("link", "https://example.com/design/abc"); !strings.HasPrefix(got,
		"That does not look like a Figma file link:") {
		t.Errorf("bad link reply %q", got)
	}
	h.link(fileURL())
	if got := h.say("link", fileURL()); got != "[B]Checkout (1:2)[/B] is already linked here." {
		t.Errorf("second /link reply %q", got)
	}
	got := h.say("links", "")
	if !strings.Contains(got, "Checkout (1:2)") || !strings.Contains(got, "v101") {
		t.Errorf("/links reply %q", got)
	}
	if got := h.say("unlink", fileURL()); got != "Removed the link to [B]Checkout (1:2)[/B]." {
		t.Errorf("/unlink reply %q", got)
	}
	ru := h.portal.CommandEvent(chat, userID, "help", "")
	ru.Set("data[PARAMS][LANGUAGE]", "ru")
	before := len(h.portal.Messages(chat))
	h.post("/b24/events", ru)
	h.waitFor("the help", func() bool { return len(h.portal.Messages(chat)) > before })
	if got := h.texts(chat)[before]; !strings.HasPrefix(got, "Команды figbot:") {
		t.Errorf("/help in Russian: %q", got)
	}
}

func TestStatusTellsWhatIsReachable(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	got := h.say("status", "")
	for _, want := range []string{"figbot status:", "Figma: ✓ figbot",
		"Figma webhooks made by figbot: 3", "FILE_COMMENT on file " + fileKey + ": ACTIVE",
		"B24: ✓ token refreshed", "Queue: "} {
		if !strings.Contains(got, want) {
			t.Errorf("/status lacks %q:\n%s", want, got)
		}
	}
	h.figma.Fail("GET", "/v1/me", figmafakeFault403())
	if got := h.say("status", ""); !strings.Contains(got,
		"Figma: ✗ the Figma token is invalid or expired") {
		t.Errorf("/status with a refused token:\n%s", got)
	}
}
