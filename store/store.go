// Package store keeps all of figbot's state in Redis: portals and their encrypted tokens,
// links between Figma files and B24 chats and tasks, subscriptions, marks of effects already
// done, thread maps and preview bytes. Key names live in keys.go.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound means the thing asked for is not stored.
var ErrNotFound = errors.New("store: not found")

// Store is figbot's Redis-backed state. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	sealer *Sealer
}

// New returns a Store over rdb that encrypts secrets with sealer.
func New(rdb redis.UniversalClient, sealer *Sealer) *Store {
	return &Store{rdb: rdb, sealer: sealer}
}

// Redis returns the underlying client, for the queue and the rate budgets that share it.
func (s *Store) Redis() redis.UniversalClient { return s.rdb }

// Sealer returns the encryption and signing keys.
func (s *Store) Sealer() *Sealer { return s.sealer }

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	return s.rdb.Ping(ctx).Err()
}

// Mark records that the effect named name happened and reports whether this call was the
// first to record it. Marks expire after ttl.
func (s *Store) Mark(ctx context.Context, name string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, markKey(name), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("store: mark %s: %w", name, err)
	}
	return ok, nil
}

// Marked reports whether the effect named name was recorded with Mark.
func (s *Store) Marked(ctx context.Context, name string) (bool, error) {
	n, err := s.rdb.Exists(ctx, markKey(name)).Result()
	if err != nil {
		return false, fmt.Errorf("store: marked %s: %w", name, err)
	}
	return n == 1, nil
}

// Unmark forgets a mark, so that a failed effect can be tried again.
func (s *Store) Unmark(ctx context.Context, name string) error {
	return s.rdb.Del(ctx, markKey(name)).Err()
}

// RememberOwn records an id of something the bot wrote (a Figma comment, a B24 message), so
// that it is not relayed back when it returns as an event.
func (s *Store) RememberOwn(ctx context.Context, kind, id string, ttl time.Duration) error {
	return s.rdb.Set(ctx, ownKey(kind, id), 1, ttl).Err()
}

// IsOwn reports whether the bot wrote the thing with this id.
func (s *Store) IsOwn(ctx context.Context, kind, id string) (bool, error) {
	n, err := s.rdb.Exists(ctx, ownKey(kind, id)).Result()
	if err != nil {
		return false, fmt.Errorf("store: own %s: %w", kind, err)
	}
	return n == 1, nil
}

// CacheGet decodes the cached JSON value named name into v and reports whether it was there.
func (s *Store) CacheGet(ctx context.Context, name string, v any) (bool, error) {
	raw, err := s.rdb.Get(ctx, cacheKey(name)).Bytes()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: cache get %s: %w", name, err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, nil
	}
	return true, nil
}

// CachePut stores v as JSON under name for ttl.
func (s *Store) CachePut(ctx context.Context, name string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: cache put %s: %w", name, err)
	}
	return s.rdb.Set(ctx, cacheKey(name), raw, ttl).Err()
}

// CacheDelete drops a cached value.
func (s *Store) CacheDelete(ctx context.Context, name string) error {
	return s.rdb.Del(ctx, cacheKey(name)).Err()
}
