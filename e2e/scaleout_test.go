package e2e

import (
	"testing"

	"github.com/figbot/figbot/app"
)

// Three worker processes on one Redis schedule the periodic jobs of a slot once.
func TestPeriodicJobsOncePerSlot(t *testing.T) {
	h := newHarness(t, nil)
	count := func(typ string) int {
		keys, err := h.rdb.Keys(t.Context(), "asynq:{low}:t:"+typ+":*").Result()
		if err != nil {
			t.Fatal(err)
		}
		return len(keys)
	}
	h.startBot(app.RoleWorker, nil) // Start returns after the worker scheduled its slot
	h.startBot(app.RoleWorker, nil)
	h.settle()
	for _, typ := range []string{"preview:refresh_all", "figma:check_webhooks"} {
		if n := count(typ); n != 1 {
			t.Errorf("%d %s tasks for one slot across 3 workers, want 1", n, typ)
		}
	}
}
