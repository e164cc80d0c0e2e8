package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func commentPayload(id, text string) map[string]any {
	return map[string]any{"event_type": "FILE_COMMENT", "file_key": fileKey,
		"file_name": "Checkout", "comment_id": id, "parent_id": "", "order_id": "23 ",
		"comment":      []map[string]string{{"text": text}},
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana"},
		"created_at":   time.Now().UTC().Format(time.RFC3339)}
}

// The walking skeleton: install -> /link -> a comment delivered twice -> one chat message.
func TestInstallLinkCommentRelayedOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	if got := h.portal.CallCount("imbot.register"); got != 1 {
		t.Errorf("imbot.register called %d times, want 1", got)
	}
	h.link(fileURL())
	reply := h.portal.Messages(chat)[0].Text
	want := "Linked [B]Checkout (1:2)[/B]. This chat receives: comments, versions."
	if diff := cmp.Diff(want, reply); diff != "" {
		t.Errorf("/link reply (-want +got):\n%s", diff)
	}

	for range 2 {
		if code := h.deliver("FILE_COMMENT", commentPayload("32", "Move the button up")); code != 200 {
			t.Fatalf("delivery answered %d", code)
		}
	}
	h.waitFor("the comment in the chat", func() bool { return len(h.portal.Messages(chat)) >= 2 })
	h.settle()

	msgs := h.portal.Messages(chat)
	if len(msgs) != 2 {
		t.Fatalf("chat got %d messages, want 2 (reply + one comment): %+v", len(msgs), msgs)
	}
	wantComment := "💬 Dana commented on Checkout:\nMove the button up\n" +
		"[URL=https://www.figma.com/design/" + fileKey + "#32]Open the comment[/URL]"
	if diff := cmp.Diff(wantComment, msgs[1].Text); diff != "" {
		t.Errorf("comment message (-want +got):\n%s", diff)
	}
}

func TestIntakeRefusals(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	good := commentPayload("40", "hello")

	forged := h.portal.CommandEvent(chat, userID, "help", "")
	forged.Set("auth[application_token]", "forged")
	unknownPortal := h.portal.CommandEvent(chat, userID, "help", "")
	unknownPortal.Set("auth[member_id]", "nobody")

	wrongPass := map[string]any{}
	for k, v := range good {
		wrongPass[k] = v
	}
	wrongPass["passcode"] = "wrong"
	wrongPass["webhook_id"] = h.figma.Webhooks()[0].ID

	tests := []struct {
		name string
		code func() int
		want int
	}{
		{"malformed b24 body", func() int {
			return h.postRaw("/b24/events", "application/json", "{not json")
		}, http.StatusBadRequest},
		{"forged application_token", func() int { return h.post("/b24/events", forged) },
			http.StatusUnauthorized},
		{"unknown portal", func() int { return h.post("/b24/events", unknownPortal) },
			http.StatusUnauthorized},
		{"unknown event with a good token", func() int {
			f := h.portal.TaskEvent("ONTASKUPDATE", taskID)
			f.Set("event", "ONCRMLEADADD")
			return h.post("/b24/events", f)
		}, http.StatusOK},
		{"oversized body", func() int {
			return h.postRaw("/b24/events", "application/x-www-form-urlencoded",
				"event=X&data="+strings.Repeat("a", 1<<20+10))
		}, http.StatusRequestEntityTooLarge},
		{"figma wrong passcode", func() int { return h.postJSON("/figma/webhook", wrongPass) },
			http.StatusBadRequest},
		{"figma not json", func() int {
			return h.postRaw("/figma/webhook", "application/json", "[1,2")
		}, http.StatusBadRequest},
		{"install from a host not allowed", func() int {
			f := h.portal.InstallEvent(h.bot.URL() + "/b24/install")
			f.Set("auth[client_endpoint]", "https://evil.example.com/rest/")
			return h.post("/b24/install", f)
		}, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.code(); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
	h.settle()
	if got := len(h.portal.Messages(chat)); got != 1 {
		t.Errorf("refused requests produced messages: chat has %d, want only the /link reply", got)
	}
	if got := h.postRaw("/healthz", "", ""); got != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d", got)
	}
}
