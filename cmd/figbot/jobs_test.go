package main

import (
	"testing"

	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/internal/testredis"
)

// An archived task goes back to its queue with `figbot jobs requeue-archived`.
func TestJobsRequeueArchived(t *testing.T) {
	rdb, url := testredis.New(t)
	t.Setenv("REDIS_URL", url)
	client := asynq.NewClientFromRedisClient(rdb)
	insp := asynq.NewInspectorFromRedisClient(rdb)
	for _, id := range []string{"a", "b"} {
		if _, err := client.Enqueue(asynq.NewTask("b24:notice", []byte(`{}`)),
			asynq.Queue("default"), asynq.TaskID(id)); err != nil {
			t.Fatal(err)
		}
		if err := insp.ArchiveTask("default", id); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI("jobs", "requeue-archived", "--queue", "default")
	if code != 0 || out != "requeued 2 archived task(s)\n" {
		t.Fatalf("exit %d, out %q, err %q", code, out, errOut)
	}
	info, err := insp.GetQueueInfo("default")
	if err != nil {
		t.Fatal(err)
	}
	if info.Archived != 0 || info.Pending != 2 {
		t.Errorf("after requeue: %d archived, %d pending; want 0 and 2", info.Archived,
			info.Pending)
	}
}
