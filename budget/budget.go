// Package budget holds the call budgets for Figma and B24 in Redis, so that every figbot
// process that talks to one Figma identity or one B24 portal draws from the same allowance.
// It is built on redis_rate's GCRA limiter.
package budget

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/figma"
)

// keyPrefix keeps budget keys under figbot's prefix (redis_rate adds its own "rate:").
const keyPrefix = "figbot:budget:"

// Figma is the shared budget for Figma calls: a rate per minute for each tier, per identity.
type Figma struct {
	limiter *redis_rate.Limiter
	perMin  [3]int
}

// NewFigma returns the Figma budget; perMin holds the rates of tiers 1, 2 and 3.
func NewFigma(rdb redis.UniversalClient, perMin [3]int) *Figma {
	return &Figma{limiter: redis_rate.NewLimiter(rdb), perMin: perMin}
}

// Reserve takes one call of tier from identity's budget. It returns 0 when the call may go now,
// or how long until it may (nothing is taken then).
func (f *Figma) Reserve(ctx context.Context, identity string, tier figma.Tier) (time.Duration,
	error) {
	i := int(tier) - 1
	if i < 0 || i > 2 {
		i = 0
	}
	key := keyPrefix + "figma:" + identity + ":t" + strconv.Itoa(i+1)
	return allow(ctx, f.limiter, key, perMinute(f.perMin[i]))
}

// B24 is the shared budget for B24 calls: a rate per second and a burst, per portal.
type B24 struct {
	limiter *redis_rate.Limiter
	limit   redis_rate.Limit
}

// NewB24 returns the B24 budget. B24's cloud bucket drains at perSec and holds burst calls.
func NewB24(rdb redis.UniversalClient, perSec float64, burst int) *B24 {
	period := time.Duration(float64(time.Second) / perSec)
	return &B24{
		limiter: redis_rate.NewLimiter(rdb),
		limit:   redis_rate.Limit{Rate: 1, Period: period, Burst: burst},
	}
}

// Reserve takes one call from the portal's budget; see Figma.Reserve.
func (b *B24) Reserve(ctx context.Context, memberID string) (time.Duration, error) {
	return allow(ctx, b.limiter, keyPrefix+"b24:"+memberID, b.limit)
}

// perMinute drains n calls a minute with a burst of half of that: in any first minute at most
// 1.5n calls go out, and a steady load stays at n. Figma's leaky bucket has a burst of its own
// that it does not publish; a 429 beyond it parks the task for its Retry-After.
func perMinute(n int) redis_rate.Limit {
	return redis_rate.Limit{Rate: n, Period: time.Minute, Burst: max(1, n/2)}
}

func allow(ctx context.Context, l *redis_rate.Limiter, key string, lim redis_rate.Limit) (
	time.Duration, error) {
	res, err := l.Allow(ctx, key, lim)
	if err != nil {
		return 0, fmt.Errorf("budget: %s: %w", key, err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	if res.RetryAfter <= 0 {
		return time.Millisecond, nil
	}
	return res.RetryAfter, nil
}
