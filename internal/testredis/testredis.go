// Package testredis gives tests a real, empty Redis database. It uses REDIS_URL (default
// redis://127.0.0.1:6379) and hands each test its own database number, so that packages
// testing in parallel never see each other's queues. Without a reachable Redis a test fails
// when CI is set and is skipped otherwise.
package testredis

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// firstDB and lastDB bound the databases handed out; database 0 holds only the counter.
const (
	firstDB = 1
	lastDB  = 15
)

// New returns a client on a flushed database and its redis:// URL; both are closed with t.
func New(t testing.TB) (*redis.Client, string) {
	t.Helper()
	base := os.Getenv("REDIS_URL")
	if base == "" {
		base = "redis://127.0.0.1:6379/0"
	}
	opt, err := redis.ParseURL(base)
	if err != nil {
		t.Fatalf("testredis: REDIS_URL: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	counter := redis.NewClient(&redis.Options{Addr: opt.Addr, Password: opt.Password, DB: 0})
	defer counter.Close()
	n, err := counter.Incr(ctx, "figbot:test:db_counter").Result()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("testredis: Redis at %s is required under CI: %v", opt.Addr, err)
		}
		t.Skipf("testredis: no Redis at %s (start one or set REDIS_URL): %v", opt.Addr, err)
	}
	db := firstDB + int(n)%(lastDB-firstDB+1)
	opt.DB = db
	c := redis.NewClient(opt)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("testredis: flush db %d: %v", db, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	url := fmt.Sprintf("redis://%s/%d", opt.Addr, db)
	if opt.Password != "" {
		url = fmt.Sprintf("redis://:%s@%s/%d", opt.Password, opt.Addr, db)
	}
	return c, url
}
