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
	"github.com/figbot/figbot/queue"
)

const taskChat = "chat2537"

// reviewTask is a new-card task (it has a task chat) that links the frame.
func (h *harness) reviewTask() {
	h.t.Helper()
	h.portal.AddUser(b24fake.User{ID: "547", Name: "Alex", FirstName: "Alex", LastName: "Dev"})
	h.portal.AddTask(b24fake.Task{ID: taskID, Title: "Checkout page", Status: "3",
		ResponsibleID: "547", ChatID: "2537",
		Fields: map[string]string{"UF_FIGMA_URL": fileURL()}})
	h.taskUpdate()
}

func (h *harness) taskUpdate() {
	h.t.Helper()
	if code := h.post("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", taskID)); code != 200 {
		h.t.Fatalf("ONTASKUPDATE answered %d", code)
	}
	h.settle()
}

// A full review: status change -> render -> upload -> task comment and chat message; a task
// comment goes to Figma pinned to the frame; a Figma reply comes back; nothing echoes; leaving
// the status closes the review with a summary.
func TestReviewRoundTrip(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.reviewTask()

	h.portal.SetTaskStatus(taskID, "4")
	for range 2 { // B24 may send the same change twice: one review
		h.taskUpdate()
	}
	h.waitFor("the preview in the task chat", func() bool {
		return len(h.portal.Messages(taskChat)) == 1
	})
	preview := h.portal.Messages(taskChat)[0].Text
	if !strings.HasPrefix(preview, "🖼 Preview of Checkout (version 101)\n[IMG SIZE=large]http") {
		t.Errorf("task preview comment: %q", preview)
	}
	h.checkPreviewURL(preview)
	if got := strings.Join(h.texts(chat), "\n"); !strings.Contains(got, "🖼 Preview of Checkout") {
		t.Errorf("linked chat did not get the preview: %q", got)
	}
	files := h.portal.Files()
	if len(files) != 1 {
		t.Fatalf("Drive holds %d files, want 1", len(files))
	}
	if !strings.HasSuffix(preview, "\n[DISK="+files[0].ID+"]") {
		t.Errorf("the task comment does not attach the Drive file %s: %q", files[0].ID, preview)
	}
	task, _ := h.portal.Task(taskID)
	if task.Fields["UF_FIGMA_PREVIEW"] != files[0].DetailURL {
		t.Errorf("UF_FIGMA_PREVIEW = %q, want the file's DETAIL_URL %q",
			task.Fields["UF_FIGMA_PREVIEW"], files[0].DetailURL)
	}

	// A person comments in the task chat: it goes to Figma, pinned to the frame.
	msgID := h.portal.PostUserMessage(taskChat, "547", "The total is cut off")
	h.post("/b24/events", h.portal.TaskCommentEvent(taskID, "0", msgID))
	h.waitFor("the comment in Figma", func() bool { return len(h.figma.Comments(fileKey)) == 1 })
	c := h.figma.Comments(fileKey)[0]
	if diff := cmp.Diff([]string{"Alex Dev: The total is cut off", nodeID},
		[]string{c.Message, c.NodeID}); diff != "" {
		t.Errorf("Figma comment (-want +got):\n%s", diff)
	}

	// The bot's own messages in the task chat come back as events: none goes to Figma.
	own := h.portal.Messages(taskChat)[0].ID
	h.post("/b24/events", h.portal.TaskCommentEvent(taskID, "0", own))
	// Figma sends the bot's own comment back too: nothing is relayed.
	mine := commentPayload(c.ID, c.Message)
	mine["triggered_by"] = map[string]string{"id": botFigmID, "handle": "figbot"}
	h.deliver("FILE_COMMENT", mine)

	// A designer replies in Figma: the reply comes back to the task.
	reply := commentPayload("500", "Fixed, see v2")
	reply["parent_id"] = c.ID
	h.deliver("FILE_COMMENT", reply)
	h.waitFor("the reply in the task", func() bool {
		return len(h.portal.Messages(taskChat)) == 2
	})
	h.settle()
	if n := len(h.figma.Comments(fileKey)); n != 1 {
		t.Errorf("Figma holds %d comments, want only the relayed one (no echo)", n)
	}
	wantReply := "↪️ Dana replied in Figma:\nFixed, see v2\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "#500]Open the comment[/URL]"
	if diff := cmp.Diff(wantReply, h.portal.Messages(taskChat)[1].Text); diff != "" {
		t.Errorf("reply in the task (-want +got):\n%s", diff)
	}

	// A reply in the task chat to the relayed Figma reply joins the same Figma thread.
	answer := h.portal.PostUserReply(taskChat, "547", "Thanks, looks right",
		h.portal.Messages(taskChat)[1].ID)
	h.post("/b24/events", h.portal.TaskCommentEvent(taskID, "0", answer))
	h.waitFor("the reply in Figma", func() bool { return len(h.figma.Comments(fileKey)) == 2 })
	var threaded *figma.Comment
	for _, fc := range h.figma.Comments(fileKey) {
		if fc.ID != c.ID {
			threaded = &fc
		}
	}
	if diff := cmp.Diff([]string{"Alex Dev: Thanks, looks right", c.ID},
		[]string{threaded.Message, threaded.ParentID}); diff != "" {
		t.Errorf("B24 reply in Figma (-want +got):\n%s", diff)
	}

	// Leaving the status ends the review with a summary, in the task and the chat.
	h.portal.SetTaskStatus(taskID, "5")
	h.taskUpdate()
	want := "✅ Review of Checkout page closed: 2 comment(s) went to Figma, 1 came back."
	h.waitFor("the summary", func() bool {
		msgs := h.texts(taskChat)
		return len(msgs) == 3 && strings.Contains(strings.Join(h.texts(chat), "\n"), want)
	})
	if diff := cmp.Diff(want, h.texts(taskChat)[2]); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

// checkPreviewURL fetches the signed preview URL from a message: a PNG; a tampered one is 403.
func (h *harness) checkPreviewURL(text string) {
	h.t.Helper()
	start := strings.Index(text, "http://")
	end := strings.Index(text, " [/IMG]")
	if start < 0 || end < start {
		h.t.Fatalf("no preview URL in %q", text)
	}
	u := text[start:end]
	for _, tc := range []struct {
		url  string
		want int
	}{{u, http.StatusOK}, {strings.Replace(u, "sig=", "sig=x", 1), http.StatusForbidden}} {
		resp, err := h.client.Get(tc.url)
		if err != nil {
			h.t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			h.t.Errorf("GET preview: %d, want %d", resp.StatusCode, tc.want)
		}
		if tc.want == http.StatusOK && resp.Header.Get("Content-Type") != "image/png" {
			h.t.Errorf("preview Content-Type %q", resp.Header.Get("Content-Type"))
		}
	}
}

func TestReviewCommandFromChat(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.reviewTask()
	h.say("review", taskID)
	h.waitFor("the preview in the chat and the task", func() bool {
		return strings.Contains(strings.Join(h.texts(chat), ""), "🖼 Preview of Checkout") &&
			len(h.portal.Messages(taskChat)) == 1
	})
	h.figma.AddComment(fileKey, figma.Comment{ID: "7", NodeID: nodeID, Message: "open point",
		User: figma.User{ID: "2", Handle: "Dana"}})
	got := h.say("review", fileURL())
	if !strings.Contains(got, "🖼 Preview of Checkout") || !strings.Contains(got, "• Dana: open point") {
		t.Errorf("/review <url> reply: %q", got)
	}
}

// The scheduled refresh asks only for metadata, and renders only the file that changed.
func TestScheduledRefreshRendersOnlyChangedFiles(t *testing.T) {
	// A short interval spreads the two files' checks 0.5 s apart instead of hours.
	h := newHarness(t, map[string]string{"PREVIEW_REFRESH_INTERVAL": "2s"})
	h.install()
	other := "OTHa1b2c3d4e5f6g7h8i9j0k"
	h.figma.AddFile(figmafakeFile(other))
	h.portal.AddTask(b24fake.Task{ID: "9001", Title: "A", Status: "3", ResponsibleID: "1",
		Fields: map[string]string{"UF_FIGMA_URL": fileURL()}})
	h.portal.AddTask(b24fake.Task{ID: "9002", Title: "B", Status: "3", ResponsibleID: "1",
		Fields: map[string]string{"UF_FIGMA_URL": "https://www.figma.com/design/" + other +
			"/Other?node-id=1-2"}})
	for _, id := range []string{"9001", "9002"} {
		h.post("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", id))
	}
	h.settle()
	refresh := func(slot int64) {
		p := queue.SlotPayload{Slot: slot}
		if _, err := h.bot.Jobs.Add(t.Context(), queue.TypeRefreshAll, p, fmt.Sprint(slot)); err != nil {
			t.Fatal(err)
		}
		h.settle()
	}
	refresh(1)
	renders := func(key string) int { return h.figma.CallCount("GET", "/v1/images/"+key) }
	if renders(fileKey) != 1 || renders(other) != 1 {
		t.Fatalf("first refresh rendered %d and %d, want 1 and 1", renders(fileKey), renders(other))
	}
	h.figma.SetVersion(other, "202")
	refresh(2)
	h.waitFor("the changed file's render", func() bool { return renders(other) == 2 })
	h.settle()
	if renders(fileKey) != 1 || renders(other) != 2 {
		t.Errorf("second refresh rendered %d (unchanged) and %d (changed), want 1 and 2",
			renders(fileKey), renders(other))
	}
	files := h.portal.Files()
	versions := map[int]int{}
	for _, f := range files {
		versions[f.Version]++
	}
	if diff := cmp.Diff(map[int]int{1: 1, 2: 1}, versions); diff != "" {
		t.Errorf("Drive files by version (-want +got): the changed frame must get a new "+
			"version of its file, not a second file:\n%s", diff)
	}
}

// FILE_UPDATE: a new version that looks the same stays in the chats; one that looks different
// also goes to the responsible person's feed.
func TestSignificanceDecidesFeedPost(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.reviewTask()
	h.figma.SetLook(fileKey, "look-a")
	renders := func() int { return h.figma.CallCount("GET", "/v1/images/"+fileKey) }
	update := func(version string) {
		before := renders()
		h.figma.SetVersion(fileKey, version)
		ev := map[string]any{"event_type": "FILE_UPDATE", "file_key": fileKey,
			"file_name": "Checkout", "timestamp": time.Now().UTC().Format(time.RFC3339Nano)}
		if code := h.deliver("FILE_UPDATE", ev); code != 200 {
			t.Fatalf("FILE_UPDATE answered %d", code)
		}
		// Each new version is rendered once its update window closes; wait for that render
		// rather than for idle queues alone.
		h.waitFor("the render of version "+version, func() bool { return renders() > before })
		h.settle()
	}
	update("102") // the first render is the baseline
	update("103") // same look: not significant
	if got := len(h.portal.BlogPosts()); got != 0 {
		t.Fatalf("%d feed posts for a change nobody can see, want 0", got)
	}
	h.figma.SetLook(fileKey, "look-b")
	update("104")
	h.waitFor("the feed post", func() bool { return len(h.portal.BlogPosts()) > 0 })
	h.settle()
	posts := h.portal.BlogPosts()
	if len(posts) != 1 {
		t.Fatalf("%d feed posts for a visible change, want 1", len(posts))
	}
	if diff := cmp.Diff([]string{"U547"}, posts[0].Dest); diff != "" {
		t.Errorf("feed post went to (-want +got):\n%s", diff)
	}
}
