package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/redis/go-redis/v9"
)

// Webhook is what the bot remembers of a Figma webhook it created: Figma never shows a
// passcode again, so the bot keeps its own copy to check deliveries against.
type Webhook struct {
	ID        string
	EventType string
	Context   string // "file", "project" or "team"
	ContextID string
	Endpoint  string
	Passcode  string
}

// SaveWebhook records a webhook the bot created; the passcode is encrypted.
func (s *Store) SaveWebhook(ctx context.Context, w Webhook) error {
	pipe := s.rdb.TxPipeline()
	pipe.HSet(ctx, webhookKey(w.ID), map[string]any{
		"event_type": w.EventType, "context": w.Context, "context_id": w.ContextID,
		"endpoint": w.Endpoint, "passcode": s.sealer.Seal(w.Passcode),
	})
	pipe.SAdd(ctx, webhooksKey(), w.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: save webhook: %w", err)
	}
	return nil
}

// Webhook loads a webhook the bot created; ErrNotFound for any other.
func (s *Store) Webhook(ctx context.Context, id string) (Webhook, error) {
	h, err := s.rdb.HGetAll(ctx, webhookKey(id)).Result()
	if err != nil {
		return Webhook{}, fmt.Errorf("store: webhook: %w", err)
	}
	if len(h) == 0 {
		return Webhook{}, ErrNotFound
	}
	pass, err := s.sealer.Open(h["passcode"])
	if err != nil {
		return Webhook{}, err
	}
	return Webhook{ID: id, EventType: h["event_type"], Context: h["context"],
		ContextID: h["context_id"], Endpoint: h["endpoint"], Passcode: pass}, nil
}

// Webhooks lists the ids of the webhooks the bot created.
func (s *Store) Webhooks(ctx context.Context) ([]string, error) {
	return s.rdb.SMembers(ctx, webhooksKey()).Result()
}

// DeleteWebhook forgets a webhook.
func (s *Store) DeleteWebhook(ctx context.Context, id string) error {
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, webhookKey(id))
	pipe.SRem(ctx, webhooksKey(), id)
	_, err := pipe.Exec(ctx)
	return err
}

// ThreadSide names one end of a relayed comment: a Figma comment or a B24 task comment.
const (
	SideFigma = "figma" // id: "<file_key>/<comment_id>"
	SideB24   = "b24"   // id: "task/<task_id>/<comment_or_message_id>"
)

// LinkThread records that two comments are the same conversation, in both directions.
func (s *Store) LinkThread(ctx context.Context, member, figmaID, b24ID string) error {
	pipe := s.rdb.TxPipeline()
	ttl := 90 * 24 * time.Hour
	pipe.Set(ctx, threadKey(member, SideFigma, figmaID), b24ID, ttl)
	pipe.Set(ctx, threadKey(member, SideB24, b24ID), figmaID, ttl)
	_, err := pipe.Exec(ctx)
	return err
}

// Thread returns the other end of a relayed comment; ErrNotFound when it was never relayed.
func (s *Store) Thread(ctx context.Context, member, side, id string) (string, error) {
	v, err := s.rdb.Get(ctx, threadKey(member, side, id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	return v, err
}

// swapStatusScript sets the task's last seen status and returns the one before.
var swapStatusScript = redis.NewScript(`
local prev = redis.call("HGET", KEYS[1], "status")
redis.call("HSET", KEYS[1], "status", ARGV[1])
return prev or ""`)

// SwapTaskStatus stores status as the task's last seen status and returns the previous one
// ("" the first time). Atomic, so two copies of one update see one change.
func (s *Store) SwapTaskStatus(ctx context.Context, member, task, status string) (string, error) {
	keys := []string{taskStateKey(member, task)}
	prev, err := swapStatusScript.Run(ctx, s.rdb, keys, status).Text()
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("store: swap task status: %w", err)
	}
	return prev, nil
}

// TaskState returns the stored fields of a task's state (status, review counters).
func (s *Store) TaskState(ctx context.Context, member, task string) (map[string]string, error) {
	return s.rdb.HGetAll(ctx, taskStateKey(member, task)).Result()
}

// SetTaskState sets fields of a task's state.
func (s *Store) SetTaskState(ctx context.Context, member, task string, f map[string]any) error {
	return s.rdb.HSet(ctx, taskStateKey(member, task), f).Err()
}

// IncrTaskState adds n to a counter field of a task's state.
func (s *Store) IncrTaskState(ctx context.Context, member, task, field string, n int64) error {
	return s.rdb.HIncrBy(ctx, taskStateKey(member, task), field, n).Err()
}

// MaxPreviewBytes caps one stored preview image.
const MaxPreviewBytes = 4 << 20

// PutPreview stores PNG bytes under id for ttl.
func (s *Store) PutPreview(ctx context.Context, id string, png []byte, ttl time.Duration) error {
	if len(png) > MaxPreviewBytes {
		return fmt.Errorf("store: preview of %d bytes is over the %d byte cap", len(png),
			MaxPreviewBytes)
	}
	return s.rdb.Set(ctx, previewKey(id), png, ttl).Err()
}

// Preview loads preview bytes; ErrNotFound when expired or never stored.
func (s *Store) Preview(ctx context.Context, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, previewKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	return b, err
}

// SetChatMessage records the B24 message that showed a Figma comment in a chat, so that replies
// to that comment can be posted as replies to the message.
func (s *Store) SetChatMessage(ctx context.Context, member, dialog, comment, msgID string) error {
	return s.rdb.Set(ctx, threadKey(member, "chat:"+dialog, comment), msgID, 90*24*time.Hour).Err()
}

// ChatMessage returns the B24 message that showed a Figma comment in a chat; ErrNotFound when
// the comment was never posted there.
func (s *Store) ChatMessage(ctx context.Context, member, dialog, comment string) (string, error) {
	return s.Thread(ctx, member, "chat:"+dialog, comment)
}

// cannotPostKey is a set of the chats of a portal the bot failed to post to.
func cannotPostKey(member string) string { return Prefix + member + ":cannot_post" }

// SetCannotPost records whether the bot can post to a chat, for /status.
func (s *Store) SetCannotPost(ctx context.Context, member, dialog string, blocked bool) error {
	if blocked {
		return s.rdb.SAdd(ctx, cannotPostKey(member), dialog).Err()
	}
	return s.rdb.SRem(ctx, cannotPostKey(member), dialog).Err()
}

// CannotPost lists the chats of a portal the bot could not post to, sorted.
func (s *Store) CannotPost(ctx context.Context, member string) ([]string, error) {
	out, err := s.rdb.SMembers(ctx, cannotPostKey(member)).Result()
	sort.Strings(out)
	return out, err
}
