package e2e

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/queue"
)

// TestWorkerMemoryFlat enqueues FILE_COMMENT events for a file linked nowhere (so the fakes
// record nothing and only the bot's own memory is measured) and has the worker run them all.
// The live heap after the last event stays within 8 MiB of the heap after the first tenth.
// It runs 300 events; FIGBOT_MEMORY_EVENTS=100000 (without -short) runs the README's figure.
func TestWorkerMemoryFlat(t *testing.T) {
	n := 300
	if v := os.Getenv("FIGBOT_MEMORY_EVENTS"); v != "" && !testing.Short() {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 100 || n > 200_000 {
			t.Fatalf("FIGBOT_MEMORY_EVENTS=%q: want 100..200000", v)
		}
	}
	h := newHarness(t, nil)
	insp := asynq.NewInspectorFromRedisClient(h.rdb)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	run := func(from, to int) {
		for i := from; i < to; i++ {
			p := commentPayload(strconv.Itoa(i), "memory "+strconv.Itoa(i))
			p["file_key"], p["webhook_id"] = "MEMa1b2c3d4e5f6g7h8i9j0k", "7"
			if _, err := h.bot.Jobs.Add(t.Context(), queue.TypeFigmaEvent, p,
				fmt.Sprintf("mem:%d", i)); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(15*time.Second + time.Duration(to-from)*50*time.Millisecond)
		for {
			q, err := insp.GetQueueInfo(queue.QueueDefault)
			if err == nil && q.Pending+q.Active+q.Scheduled+q.Retry+q.Aggregating == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("events %d..%d still queued at the deadline: %+v", from, to, q)
			}
			<-time.After(50 * time.Millisecond)
		}
	}
	run(0, n/10)
	base := heap()
	run(n/10, n)
	end := heap()
	t.Logf("%d events: live heap %.1f MiB after %d, %.1f MiB after %d", n,
		float64(base)/(1<<20), n/10, float64(end)/(1<<20), n)
	if end > base+8<<20 {
		t.Errorf("live heap grew from %d to %d bytes over %d events", base, end, n)
	}
}
