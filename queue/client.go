package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Client enqueues figbot's tasks. A task id names the effect the task has, so the same
// delivery enqueued twice runs once.
type Client struct {
	asynq *asynq.Client
}

// NewClient returns a Client over an existing Redis connection (it does not close it).
func NewClient(rdb redis.UniversalClient) *Client {
	return &Client{asynq: asynq.NewClientFromRedisClient(rdb)}
}

// Add enqueues a task of typ with payload under id (empty = no id). It reports dup = true,
// with no error, when a task with that id was already enqueued within the dedup window.
func (c *Client) Add(ctx context.Context, typ string, payload any, id string,
	opts ...asynq.Option) (dup bool, err error) {
	if id != "" {
		opts = append(opts, asynq.TaskID(TaskID(typ, id)), asynq.Retention(DedupWindow))
	}
	task, err := newTask(typ, payload, append(defaultOptions(typ), opts...)...)
	if err != nil {
		return false, err
	}
	_, err = c.asynq.EnqueueContext(ctx, task)
	if errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w", typ, err)
	}
	return false, nil
}

// TaskID turns a dedup key into an asynq task id: readable when short, hashed when long.
func TaskID(typ, key string) string {
	id := typ + ":" + key
	if len(id) <= 160 {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return typ + ":h:" + hex.EncodeToString(sum[:16])
}

// defaultOptions gives each task type its queue, retry count and timeout.
func defaultOptions(typ string) []asynq.Option {
	switch typ {
	case TypeInstall, TypeSetup, TypeCommand, TypeJoin, TypeUninstall:
		return []asynq.Option{asynq.Queue(QueueCritical), asynq.MaxRetry(8),
			asynq.Timeout(time.Minute)}
	case TypeRefreshAll, TypeRefreshFile, TypeCheckWebhooks:
		return []asynq.Option{asynq.Queue(QueueLow), asynq.MaxRetry(3),
			asynq.Timeout(10 * time.Minute)}
	}
	return []asynq.Option{asynq.Queue(QueueDefault), asynq.MaxRetry(12),
		asynq.Timeout(2 * time.Minute)}
}
