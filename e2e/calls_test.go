package e2e

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/b24fake"
)

// callSnapshot remembers how many calls each fake had recorded, to count the calls of one step.
type callSnapshot struct{ b24, figma int }

func (h *harness) proofSnapshot() callSnapshot {
	return callSnapshot{b24: len(h.portal.Calls()), figma: len(h.figma.Calls())}
}

// callsSince lists the calls made after s, as "b24 <method>" (a command inside a batch as
// "b24 batch/<method>") and "figma <METHOD> <path>" with keys and render ids cut off.
func (h *harness) proofCallsSince(s callSnapshot) map[string]int {
	got := map[string]int{}
	for _, c := range h.portal.Calls()[s.b24:] {
		name := "b24 " + c.Method
		if c.InBatch {
			name = "b24 batch/" + c.Method
		}
		got[name]++
	}
	for _, c := range h.figma.Calls()[s.figma:] {
		parts := strings.Split(c.Path, "/")
		switch {
		case parts[1] == "render":
			parts[2] = ":id"
		case len(parts) > 3:
			parts[3] = ":key"
		}
		got["figma "+c.Method+" "+strings.Join(parts, "/")]++
	}
	return got
}

func proofFormatCalls(m map[string]int) string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, fmt.Sprintf("%s x%d", k, m[k]))
	}
	return strings.Join(out, ", ")
}

func proofVersionPayload(id string) map[string]any {
	return map[string]any{"event_type": "FILE_VERSION_UPDATE", "file_key": fileKey,
		"file_name": "Checkout", "version_id": id, "label": "Ready " + id,
		"description": "Final spacing", "created_at": time.Now().UTC().Format(time.RFC3339),
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana"}}
}

// TestCallsPerEvent counts the calls to Figma and B24 that each kind of event causes, once
// the bot is installed and a file is linked to a chat and a task. The numbers are the least
// the flow needs: Figma's identity is read once and cached, nothing else is read from Figma
// to relay an event, a burst of comments is one B24 message, duplicates cost nothing.
func TestCallsPerEvent(t *testing.T) {
	h := newHarness(t, map[string]string{"FILE_UPDATE_WINDOW": "2s"})
	h.portal.AddUser(b24fake.User{ID: "547", Name: "Alex Developer"})
	h.portal.AddTask(b24fake.Task{ID: taskID, Title: "Build the checkout page", Status: "3",
		ResponsibleID: "547", Fields: map[string]string{"UF_FIGMA_URL": fileURL()}})
	h.install()
	h.link(fileURL())
	h.proofMustPost("/b24/events", h.portal.CommandEvent(chat, userID, "subscribe", "all"))
	h.proofMustPost("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", taskID))
	h.waitFor("the task indexed", func() bool { return h.portal.CallCount("tasks.task.get") >= 1 })
	h.settle()

	msgs := func() int { return len(h.portal.Messages(chat)) }
	slot := time.Now().Add(time.Hour).Truncate(2 * time.Second)
	steps := []struct {
		name string
		act  func()
		done func() bool
		want map[string]int
	}{
		{"FILE_COMMENT, first (reads and caches the bot's Figma identity)", func() {
			h.proofMustDeliver("FILE_COMMENT", commentPayload("501", "first"))
		}, func() bool { return h.proofChatHas("first") }, map[string]int{
			"b24 imbot.message.add": 1, "figma GET /v1/me": 1,
			"figma GET /v1/files/:key/comments": 1}},
		{"FILE_COMMENT, identity cached", func() {
			h.proofMustDeliver("FILE_COMMENT", commentPayload("502", "second"))
		}, func() bool { return h.proofChatHas("second") }, map[string]int{
			"b24 imbot.message.add": 1}},
		{"FILE_COMMENT delivered twice", func() {
			for range 2 {
				h.proofMustDeliver("FILE_COMMENT", commentPayload("503", "twice"))
			}
		}, func() bool { return h.proofChatHas("twice") }, map[string]int{
			"b24 imbot.message.add": 1}},
		{"FILE_COMMENT burst of 10", func() {
			for i := range 10 {
				h.proofMustDeliver("FILE_COMMENT", commentPayload(fmt.Sprint(600+i),
					fmt.Sprintf("burst %d.", i)))
			}
		}, func() bool { return h.proofChatHas("burst 9.") }, map[string]int{
			"b24 imbot.message.add": 1}},
		{"FILE_VERSION_UPDATE (one task, one chat)", func() {
			h.proofMustDeliver("FILE_VERSION_UPDATE", proofVersionPayload("701"))
		}, func() bool {
			return h.proofChatHas("Ready 701") && len(h.portal.TaskComments(taskID)) >= 1
		}, map[string]int{"b24 imbot.message.add": 1, "b24 tasks.task.get": 1,
			"b24 task.commentitem.add": 1}},
		{"FILE_UPDATE x3 in one window", func() {
			for i := range 3 {
				p := map[string]any{"timestamp": slot.Add(time.Duration(i) * 500 *
					time.Millisecond).UTC().Format(time.RFC3339Nano)}
				h.proofMustDeliver("FILE_UPDATE", p)
			}
		}, func() bool { return msgs() > 0 && h.proofChatHasUpdate() }, map[string]int{
			"b24 imbot.message.add": 1, "figma GET /v1/files/:key/meta": 1,
			"figma GET /v1/images/:key": 1, "figma GET /render/:id": 1}},
		{"/links command", func() {
			h.proofMustPost("/b24/events", h.portal.CommandEvent(chat, userID, "links", ""))
		}, func() bool { return h.proofChatHas("101") }, map[string]int{
			"b24 imbot.message.add": 1}},
		{"ONTASKUPDATE, nothing changed", func() {
			h.proofMustPost("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", taskID))
		}, func() bool { return true }, map[string]int{"b24 tasks.task.get": 1}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before := h.proofSnapshot()
			s.act()
			h.waitFor(s.name, s.done)
			h.settle()
			got := h.proofCallsSince(before)
			t.Logf("%s: %s", s.name, proofFormatCalls(got))
			if diff := cmp.Diff(s.want, got); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func (h *harness) proofMustPost(path string, form map[string][]string) {
	h.t.Helper()
	if code := h.post(path, form); code != http.StatusOK {
		h.t.Fatalf("%s answered %d", path, code)
	}
}

func (h *harness) proofMustDeliver(event string, payload map[string]any) {
	h.t.Helper()
	if code := h.deliver(event, payload); code != http.StatusOK {
		h.t.Fatalf("%s delivery answered %d", event, code)
	}
}

// chatHas reports whether a message in the test chat contains s.
func (h *harness) proofChatHas(s string) bool {
	for _, m := range h.portal.Messages(chat) {
		if strings.Contains(m.Text, s) {
			return true
		}
	}
	return false
}

func (h *harness) proofChatHasUpdate() bool {
	n := 0
	for _, m := range h.portal.Messages(chat) {
		if strings.Contains(m.Text, "Checkout") && strings.Contains(strings.ToLower(m.Text),
			"edit") {
			n++
		}
	}
	return n > 0
}
