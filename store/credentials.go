package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/b24"
)

// Refresher exchanges a B24 refresh token for a new pair (b24.OAuth in production).
type Refresher interface {
	Refresh(ctx context.Context, refreshToken string) (b24.Token, error)
}

// Credentials serves the B24 client from the store and runs token refreshes so that, across
// every process, one portal is refreshed by one caller at a time: B24 issues a new refresh
// token each time and the spent one stops working, so two racing refreshes would lock the
// portal out.
type Credentials struct {
	store     *Store
	refresher Refresher
	// LockWait bounds how long a caller waits for another process's refresh.
	LockWait time.Duration
	// OnInvalidGrant is called once when B24 refuses the refresh token for good.
	OnInvalidGrant func(ctx context.Context, member string)
}

// NewCredentials returns the credential source for the B24 client.
func NewCredentials(s *Store, r Refresher) *Credentials {
	return &Credentials{store: s, refresher: r, LockWait: 10 * time.Second}
}

// Credentials implements b24.CredentialSource.
func (c *Credentials) Credentials(ctx context.Context, member string) (b24.Credentials, error) {
	p, err := c.store.Portal(ctx, member)
	if err != nil {
		return b24.Credentials{}, err
	}
	if p.NeedsReinstall {
		return b24.Credentials{}, fmt.Errorf("store: portal %s needs reinstall: %w", member,
			b24.ErrInvalidGrant)
	}
	return toCredentials(p), nil
}

func toCredentials(p Portal) b24.Credentials {
	return b24.Credentials{MemberID: p.MemberID, Domain: p.Domain,
		ClientEndpoint: p.ClientEndpoint, AccessToken: p.AccessToken,
		RefreshToken: p.RefreshToken, Expires: p.Expires}
}

// releaseScript deletes the lock only if this caller still holds it.
var releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0`)

// Refresh implements b24.CredentialSource. Under the portal's lock it re-reads the tokens: if
// another process refreshed meanwhile, those are returned and no call is made.
func (c *Credentials) Refresh(ctx context.Context, member string, stale b24.Credentials) (
	b24.Credentials, error) {
	owner, err := c.lock(ctx, member)
	if err != nil {
		return b24.Credentials{}, err
	}
	defer releaseScript.Run(context.WithoutCancel(ctx), c.store.rdb,
		[]string{refreshLockKey(member)}, owner)
	p, err := c.store.Portal(ctx, member)
	if err != nil {
		return b24.Credentials{}, err
	}
	if p.AccessToken != stale.AccessToken {
		return toCredentials(p), nil
	}
	tok, err := c.refresher.Refresh(ctx, p.RefreshToken)
	if errors.Is(err, b24.ErrInvalidGrant) {
		c.markReinstall(ctx, member)
		return b24.Credentials{}, err
	}
	if err != nil {
		return b24.Credentials{}, err
	}
	err = c.store.SaveTokens(ctx, member, tok.AccessToken, tok.RefreshToken, tok.Expires)
	if err != nil {
		return b24.Credentials{}, err
	}
	p.AccessToken, p.RefreshToken, p.Expires = tok.AccessToken, tok.RefreshToken, tok.Expires
	return toCredentials(p), nil
}

// lock takes the portal's refresh lock, waiting a bounded time for another holder.
func (c *Credentials) lock(ctx context.Context, member string) (string, error) {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	owner := hex.EncodeToString(b)
	deadline := time.Now().Add(c.LockWait)
	for {
		ok, err := c.store.rdb.SetNX(ctx, refreshLockKey(member), owner, 30*time.Second).Result()
		if err != nil {
			return "", fmt.Errorf("store: refresh lock: %w", err)
		}
		if ok {
			return owner, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("store: refresh lock of %s still held after %s", member,
				c.LockWait)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// markReinstall flags the portal once; only the first caller runs OnInvalidGrant.
func (c *Credentials) markReinstall(ctx context.Context, member string) {
	yes := true
	_ = c.store.UpdatePortalFields(ctx, member, PortalFields{NeedsReinstall: &yes})
	first, err := c.store.Mark(ctx, "invalid_grant:"+member, 7*24*time.Hour)
	if err == nil && first && c.OnInvalidGrant != nil {
		c.OnInvalidGrant(ctx, member)
	}
}

// EndpointMoved implements b24.CredentialSource: the portal answered from a new address.
func (c *Credentials) EndpointMoved(ctx context.Context, member, endpoint string) error {
	return c.store.UpdatePortalFields(ctx, member, PortalFields{ClientEndpoint: endpoint})
}
