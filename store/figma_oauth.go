package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A portal's own Figma account, connected through Figma OAuth by one of its admins. Its keys
// sit under the portal's member_id, so DeletePortal removes them with the rest of the portal.

// figmaTokenKey is a hash: the portal's Figma OAuth token (sealed) and whose account it is.
func figmaTokenKey(member string) string { return Prefix + member + ":figma_token" }

// figmaStateKey is a string with a TTL: one OAuth state handed to Figma's authorize page.
func figmaStateKey(member, nonce string) string {
	return Prefix + member + ":figma_oauth_state:" + nonce
}

// figmaRefreshLockKey is a string held while one process refreshes the portal's Figma token.
func figmaRefreshLockKey(member string) string { return Prefix + member + ":figma_refresh_lock" }

// FigmaStateTTL is how long an OAuth state stays usable: the time a person has to get
// through Figma's consent page.
const FigmaStateTTL = 10 * time.Minute

// FigmaToken is a portal's Figma OAuth token and the account it acts for. The tokens are plain
// here and sealed in Redis.
type FigmaToken struct {
	AccessToken  string
	RefreshToken string
	Expiry       time.Time // zero: Figma gave no lifetime
	UserID       string    // Figma's user_id_string: ids overflow float64, so never a number
	Handle       string
}

// figma token hash fields; the token fields hold Sealer output.
const (
	ftAccess  = "access_token"
	ftRefresh = "refresh_token"
	ftExpiry  = "expiry"
	ftUserID  = "user_id"
	ftHandle  = "handle"
)

// SaveFigmaToken stores the portal's Figma token, replacing what was there.
func (s *Store) SaveFigmaToken(ctx context.Context, member string, t FigmaToken) error {
	var exp int64
	if !t.Expiry.IsZero() {
		exp = t.Expiry.Unix()
	}
	err := s.rdb.HSet(ctx, figmaTokenKey(member), map[string]any{
		ftAccess: s.sealer.Seal(t.AccessToken), ftRefresh: s.sealer.Seal(t.RefreshToken),
		ftExpiry: exp, ftUserID: t.UserID, ftHandle: t.Handle,
	}).Err()
	if err != nil {
		return fmt.Errorf("store: save figma token: %w", err)
	}
	return nil
}

// FigmaToken loads the portal's Figma token; ErrNotFound when the portal connected none.
func (s *Store) FigmaToken(ctx context.Context, member string) (FigmaToken, error) {
	h, err := s.rdb.HGetAll(ctx, figmaTokenKey(member)).Result()
	if err != nil {
		return FigmaToken{}, fmt.Errorf("store: load figma token: %w", err)
	}
	if len(h) == 0 {
		return FigmaToken{}, ErrNotFound
	}
	t := FigmaToken{UserID: h[ftUserID], Handle: h[ftHandle]}
	if h[ftExpiry] != "" && h[ftExpiry] != "0" {
		t.Expiry = unixField(h[ftExpiry])
	}
	if t.AccessToken, err = s.sealer.Open(h[ftAccess]); err != nil {
		return FigmaToken{}, err
	}
	if t.RefreshToken, err = s.sealer.Open(h[ftRefresh]); err != nil {
		return FigmaToken{}, err
	}
	return t, nil
}

// DeleteFigmaToken forgets the portal's Figma connection (Figma refused its refresh token).
func (s *Store) DeleteFigmaToken(ctx context.Context, member string) error {
	return s.rdb.Del(ctx, figmaTokenKey(member)).Err()
}

// NewFigmaState creates a random OAuth state bound to the portal, usable once within
// FigmaStateTTL. The state names the portal, so the callback, which gets only the code and
// the state back, knows whose key to take.
func (s *Store) NewFigmaState(ctx context.Context, member string) (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("store: figma state: %w", err)
	}
	nonce := base64.RawURLEncoding.EncodeToString(b)
	err := s.rdb.Set(ctx, figmaStateKey(member, nonce), member, FigmaStateTTL).Err()
	if err != nil {
		return "", fmt.Errorf("store: figma state: %w", err)
	}
	return member + "." + nonce, nil
}

// TakeFigmaState consumes an OAuth state and returns the portal it was made for. A state that
// is unknown, expired or already used gives ErrNotFound: GETDEL lets only one caller have it.
func (s *Store) TakeFigmaState(ctx context.Context, state string) (string, error) {
	i := strings.LastIndexByte(state, '.')
	if i <= 0 || i == len(state)-1 {
		return "", ErrNotFound
	}
	member, nonce := state[:i], state[i+1:]
	got, err := s.rdb.GetDel(ctx, figmaStateKey(member, nonce)).Result()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: take figma state: %w", err)
	}
	if got != member {
		return "", ErrNotFound
	}
	return member, nil
}

// FigmaStartMessage is what a signed /figma/oauth/start link signs: the portal and the link's
// expiry in Unix seconds. The label keeps the signature from doubling for any other link.
func FigmaStartMessage(member, exp string) string {
	return "figma_oauth_start:" + member + ":" + exp
}

// WithFigmaRefreshLock runs fn while holding the portal's Figma refresh lock, waiting at most
// wait for another holder. Figma keeps one access token per app and user, so a refresh kills
// the token another process may have just got: refreshes of one portal must not overlap
// (reference/figma-facts.md §3).
func (s *Store) WithFigmaRefreshLock(ctx context.Context, member string, wait time.Duration,
	fn func() error) error {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	owner := base64.RawURLEncoding.EncodeToString(b)
	key := figmaRefreshLockKey(member)
	deadline := time.Now().Add(wait)
	for {
		ok, err := s.rdb.SetNX(ctx, key, owner, 30*time.Second).Result()
		if err != nil {
			return fmt.Errorf("store: figma refresh lock: %w", err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("store: figma refresh lock of %s still held after %s", member, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	defer releaseScript.Run(context.WithoutCancel(ctx), s.rdb, []string{key}, owner)
	return fn()
}
