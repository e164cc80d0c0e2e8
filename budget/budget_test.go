package budget

import (
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/figma"
)

func newRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// allowed counts how many calls in a row go at once before the budget says wait.
func allowed(t *testing.T, reserve func() (time.Duration, error)) (int, time.Duration) {
	t.Helper()
	for n := 0; n < 1000; n++ {
		d, err := reserve()
		if err != nil {
			t.Fatal(err)
		}
		if d > 0 {
			return n, d
		}
	}
	t.Fatal("the budget never said wait")
	return 0, 0
}

func TestFigmaBudgetPerTierAndIdentity(t *testing.T) {
	rdb := newRedis(t)
	b := NewFigma(rdb, [3]int{10, 24, 60})
	tests := []struct {
		identity string
		tier     figma.Tier
		want     int
	}{
		{"bot-a", figma.Tier1, 5},
		{"bot-a", figma.Tier2, 12},
		{"bot-a", figma.Tier3, 30},
		{"bot-b", figma.Tier1, 5}, // another identity has its own budget
	}
	for _, tc := range tests {
		t.Run(tc.identity+" "+tc.tier.String(), func(t *testing.T) {
			n, wait := allowed(t, func() (time.Duration, error) {
				return b.Reserve(t.Context(), tc.identity, tc.tier)
			})
			if n != tc.want {
				t.Errorf("%d calls went at once, want the burst of %d", n, tc.want)
			}
			if wait <= 0 || wait > time.Minute {
				t.Errorf("wait %v, want a part of a minute", wait)
			}
		})
	}
}

// Two processes sharing one Redis draw from one budget.
func TestB24BudgetIsSharedAndPerPortal(t *testing.T) {
	rdb := newRedis(t)
	one, two := NewB24(rdb, 2, 6), NewB24(rdb, 2, 6)
	n := 0
	for i := 0; i < 10; i++ {
		b := one
		if i%2 == 1 {
			b = two
		}
		if d, err := b.Reserve(t.Context(), "portal-1"); err != nil {
			t.Fatal(err)
		} else if d == 0 {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d calls went at once across two processes, want the burst of 6", n)
	}
	if d, _ := one.Reserve(t.Context(), "portal-2"); d != 0 {
		t.Errorf("another portal waited %v on the first one's budget", d)
	}
}
