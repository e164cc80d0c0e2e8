package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/fakes/figmafake"
)

// proofSettleOn waits until the queues in rdb hold nothing pending, active, scheduled or
// aggregating (the harness's settle looks at the shared test Redis only).
func (h *harness) proofSettleOn(rdb *redis.Client) {
	h.t.Helper()
	h.waitFor("idle queues", func() bool {
		keys, err := rdb.Keys(h.t.Context(), "asynq:{*}:t:*").Result()
		if err != nil {
			return false
		}
		for _, k := range keys {
			state, _ := rdb.HGet(h.t.Context(), k, "state").Result()
			if state != "completed" && state != "archived" && state != "retry" {
				return false
			}
		}
		return true
	})
}

// proofCount counts the messages of the test chat that contain s.
func (h *harness) proofCount(s string) int {
	n := 0
	for _, m := range h.portal.Messages(chat) {
		n += strings.Count(m.Text, s)
	}
	return n
}

// proofDeliverUntilOK delivers like Figma, which retries a delivery that was not answered
// 200; here the retries are immediate and bounded by the harness's 15 s wait.
func (h *harness) proofDeliverUntilOK(event string, payload map[string]any) (refused int) {
	h.t.Helper()
	h.waitFor("a delivery answered 200", func() bool {
		if h.deliver(event, payload) == http.StatusOK {
			return true
		}
		refused++
		return false
	})
	return refused
}

// TestRedisCrashMidBurst kills the bot's Redis (SIGKILL, append-only file with fsync always)
// in the middle of a burst of comments and starts it again. Deliveries refused while it is
// down are re-sent as Figma would. Every comment reaches the chat exactly once.
func TestRedisCrashMidBurst(t *testing.T) {
	priv := startRedis(t)
	h := newHarness(t, map[string]string{"REDIS_URL": priv.URL()})
	rdb := priv.client()
	h.install()
	h.link(fileURL())
	h.proofSettleOn(rdb)

	const n = 30
	text := func(i int) string { return fmt.Sprintf("burst comment %02d.", i) }
	refused := 0
	for i := range n {
		if i == n/2 {
			priv.stop(syscall.SIGKILL)
			if code := h.deliver("FILE_COMMENT", commentPayload(fmt.Sprint(900+i),
				text(i))); code != http.StatusServiceUnavailable {
				t.Errorf("delivery with Redis down answered %d, want 503", code)
			}
			refused++
			priv.start()
		}
		refused += h.proofDeliverUntilOK("FILE_COMMENT", commentPayload(fmt.Sprint(900+i),
			text(i)))
	}
	// A task that was running when Redis died keeps its lease; asynq's recoverer hands it
	// back after the lease (30 s) on its next round (every minute): up to 90 s.
	h.waitUpTo(2*time.Minute, "every comment in the chat", func() bool {
		for i := range n {
			if h.proofCount(text(i)) == 0 {
				return false
			}
		}
		return true
	})
	h.proofSettleOn(rdb)
	t.Logf("%d deliveries refused while Redis was down, %d chat messages", refused,
		len(h.portal.Messages(chat)))
	for i := range n {
		if got := h.proofCount(text(i)); got != 1 {
			t.Errorf("%q reached the chat %d times, want 1", text(i), got)
		}
	}
}

// TestB24UnavailableThenInOrder makes B24 answer 503 QUERY_LIMIT_EXCEEDED to the bot's
// messages for a while (scaled: the next 4 calls instead of a minute), while comments arrive
// one by one. Afterwards every comment is in the chat once, in the order Figma sent them.
func TestB24UnavailableThenInOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.settle()
	h.portal.Fail("imbot.message.add", b24fake.Fault{Status: http.StatusServiceUnavailable,
		Code: "QUERY_LIMIT_EXCEEDED", Description: "Too many requests", Times: 4})

	const n = 6
	text := func(i int) string { return fmt.Sprintf("ordered comment %d.", i) }
	for i := range n {
		h.proofDeliverUntilOK("FILE_COMMENT", commentPayload(fmt.Sprint(300+i), text(i)))
		h.waitFor("the comment queued", func() bool { return h.proofQueuedNotice(text(i)) })
	}
	// A task that was running when Redis died keeps its lease; asynq's recoverer hands it
	// back after the lease (30 s) on its next round (every minute): up to 90 s.
	h.waitUpTo(2*time.Minute, "every comment in the chat", func() bool { return h.proofCount(text(n-1)) > 0 })
	h.settle()

	var all strings.Builder
	for _, m := range h.portal.Messages(chat) {
		all.WriteString(m.Text)
	}
	last := -1
	for i := range n {
		if got := h.proofCount(text(i)); got != 1 {
			t.Errorf("%q reached the chat %d times, want 1", text(i), got)
		}
		at := strings.Index(all.String(), text(i))
		if at < last {
			t.Errorf("%q arrived before an earlier comment", text(i))
		}
		last = at
	}
	if got := h.portal.CallCount("imbot.message.add"); got < 5 {
		t.Errorf("imbot.message.add called %d times: the 503s were not hit", got)
	}
}

// proofQueuedNotice reports whether a notice holding s is waiting in Redis or already posted,
// so the next comment is sent only after this one is in the queue (Figma's order).
func (h *harness) proofQueuedNotice(s string) bool {
	if h.proofCount(s) > 0 {
		return true
	}
	keys, _ := h.rdb.Keys(h.t.Context(), "asynq:{*}:t:*").Result()
	for _, k := range keys {
		p, _ := h.rdb.HGet(h.t.Context(), k, "msg").Result()
		if strings.Contains(p, s) {
			return true
		}
	}
	return false
}

// TestFigmaRetryAfterADayParksTask answers the bot's render call with 429 and a Retry-After
// of a day. The /preview command is parked for a day (not retried in a loop, no retry used
// up), and the chat is told once.
func TestFigmaRetryAfterADayParksTask(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.settle()
	h.figma.Fail("GET", "/v1/images/", figmafake.Fault{Status: http.StatusTooManyRequests,
		Header: http.Header{"Retry-After": {"86400"}}, Times: 100})
	before := len(h.portal.Messages(chat))

	h.mustPostProof(h.portal.CommandEvent(chat, userID, "preview", fileURL()))
	h.waitFor("the chat told of the wait", func() bool {
		return len(h.portal.Messages(chat)) > before
	})
	h.settle()

	insp := asynq.NewInspectorFromRedisClient(h.rdb)
	tasks, err := insp.ListRetryTasks("critical")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 {
		t.Fatalf("%d parked tasks, want 1", len(tasks))
	}
	wait := time.Until(tasks[0].NextProcessAt)
	if wait < 23*time.Hour || wait > 29*time.Hour {
		t.Errorf("the task runs again in %s, want about a day", wait.Round(time.Minute))
	}
	if tasks[0].Retried != 0 {
		t.Errorf("the wait used up %d retries, want 0", tasks[0].Retried)
	}
	if got := h.figma.CallCount("GET", "/v1/images/"); got != 1 {
		t.Errorf("render asked %d times, want 1 (no hot loop)", got)
	}
	msgs := h.portal.Messages(chat)[before:]
	if len(msgs) != 1 {
		t.Fatalf("chat got %d messages, want 1: %+v", len(msgs), msgs)
	}
	t.Logf("chat told: %q", msgs[0].Text)
}

func (h *harness) mustPostProof(form map[string][]string) {
	h.t.Helper()
	if code := h.post("/b24/events", form); code != http.StatusOK {
		h.t.Fatalf("/b24/events answered %d", code)
	}
}
