package figma

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Tier is one of Figma's rate-limit tiers (docs /rest-api/rate-limits). Each endpoint
// belongs to one; the budget is counted per identity and tier.
type Tier int

// The tiers of the endpoints this client calls.
const (
	// Tier1 covers file, nodes and image renders: 10 to 20 calls a minute on paid seats,
	// and as few as 6 a month on View/Collab seats.
	Tier1 Tier = 1 + iota
	// Tier2 covers comments and webhooks.
	Tier2
	// Tier3 covers file metadata and /v1/me.
	Tier3
)

// String returns "tier1", "tier2" or "tier3", fit for a budget key.
func (t Tier) String() string {
	return "tier" + strconv.Itoa(int(t))
}

// Limiter is a rate budget shared by every process that calls Figma as the same identity.
// Implementations must be safe for concurrent use.
type Limiter interface {
	// Reserve takes one call from identity's budget for tier and returns 0 when the call may
	// go now, or how long until it may. A non-zero answer takes nothing: the client waits
	// (within its MaxWait) and asks again.
	Reserve(ctx context.Context, identity string, tier Tier) (time.Duration, error)
}

// maxReserveTries bounds how often one call asks the limiter; with other processes taking
// the freed slots first, a call gives up rather than spin.
const maxReserveTries = 5

// reserve takes the budget for one call, waiting up to c.maxWait in total. It returns a
// local *RateLimitError when the wait would be longer.
func (c *Client) reserve(ctx context.Context, tier Tier) error {
	if c.limiter == nil {
		return nil
	}

	var waited, last time.Duration
	for try := range maxReserveTries {
		d, err := c.limiter.Reserve(ctx, c.identity, tier)
		if err != nil {
			return fmt.Errorf("figma: rate budget: %w", err)
		}
		if d <= 0 {
			return nil
		}

		last = d
		if waited+d > c.maxWait || try == maxReserveTries-1 {
			break
		}
		if err := sleepCtx(ctx, d); err != nil {
			return fmt.Errorf("figma: waiting for rate budget: %w", err)
		}
		waited += d
	}
	return &RateLimitError{RetryAfter: last, Local: true}
}

// sleepCtx waits for d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()

	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
