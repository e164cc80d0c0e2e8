package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/figbot/figbot/app"
)

// A worker stopped while its task waits on B24: after its shutdown timeout the task goes back
// to the queue, another worker runs it, and the chat gets the comment once.
func TestWorkerStoppedMidTaskRetriedOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.portal.Stall("imbot.message.add", 30*time.Second, 1)
	if code := h.deliver("FILE_COMMENT", commentPayload("300", "mid-task")); code != 200 {
		t.Fatalf("delivery answered %d", code)
	}
	h.waitFor("the post to be held by the portal", func() bool { return h.portal.Stalled() == 1 })

	stopped := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h.bot.Shutdown(ctx) // the only worker so far; its task is mid-call
	if took := time.Since(stopped); took > 5*time.Second {
		t.Errorf("shutdown took %v with a task stuck in a call, want about 2 s", took)
	}
	if got := len(h.portal.Messages(chat)); got != 1 {
		t.Fatalf("chat has %d messages right after the stop, want only the /link reply", got)
	}

	h.startBot(app.RoleWorker, nil) // another worker on the same Redis
	h.waitFor("the comment, posted by the other worker", func() bool {
		return len(h.portal.Messages(chat)) >= 2
	})
	h.settle()
	if got := len(h.portal.Messages(chat)); got != 2 {
		t.Errorf("chat has %d messages, want the /link reply and the comment once", got)
	}
}
