package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Portal is one B24 portal that installed the app. Tokens are plain here and encrypted in Redis.
type Portal struct {
	MemberID         string
	Domain           string
	ClientEndpoint   string // "https://<portal>/rest/"
	ServerEndpoint   string
	AccessToken      string
	RefreshToken     string
	Expires          time.Time
	Scope            string
	ApplicationToken string
	BotID            string
	Language         string
	InstalledAt      time.Time
	RefreshedAt      time.Time
	NeedsReinstall   bool
	Commands         map[string]string // command name -> B24 command id
}

// portal hash fields; the token fields hold Sealer output.
const (
	fDomain      = "domain"
	fClient      = "client_endpoint"
	fServer      = "server_endpoint"
	fAccess      = "access_token"
	fRefresh     = "refresh_token"
	fExpires     = "expires"
	fScope       = "scope"
	fAppToken    = "application_token"
	fBotID       = "bot_id"
	fLanguage    = "language"
	fInstalled   = "installed_at"
	fRefreshed   = "refreshed_at"
	fReinstall   = "needs_reinstall"
	fCommandPref = "command:"
)

// SavePortal writes the whole portal, replacing what was stored for its member_id.
func (s *Store) SavePortal(ctx context.Context, p Portal) error {
	key := portalKey(p.MemberID)
	fields := map[string]any{
		fDomain: p.Domain, fClient: p.ClientEndpoint, fServer: p.ServerEndpoint,
		fAccess: s.sealer.Seal(p.AccessToken), fRefresh: s.sealer.Seal(p.RefreshToken),
		fExpires: p.Expires.Unix(), fScope: p.Scope, fAppToken: s.sealer.Seal(p.ApplicationToken),
		fBotID: p.BotID, fLanguage: p.Language, fInstalled: p.InstalledAt.Unix(),
		fRefreshed: p.RefreshedAt.Unix(), fReinstall: boolField(p.NeedsReinstall),
	}
	for name, id := range p.Commands {
		fields[fCommandPref+name] = id
	}
	_, err := s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.Del(ctx, key)
		tx.HSet(ctx, key, fields)
		tx.SAdd(ctx, portalsKey(), p.MemberID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: save portal: %w", err)
	}
	return nil
}

// Portal loads the portal with this member_id; ErrNotFound when it is not installed.
func (s *Store) Portal(ctx context.Context, member string) (Portal, error) {
	h, err := s.rdb.HGetAll(ctx, portalKey(member)).Result()
	if err != nil {
		return Portal{}, fmt.Errorf("store: load portal: %w", err)
	}
	if len(h) == 0 {
		return Portal{}, ErrNotFound
	}
	p := Portal{
		MemberID: member, Domain: h[fDomain], ClientEndpoint: h[fClient],
		ServerEndpoint: h[fServer], Scope: h[fScope], BotID: h[fBotID], Language: h[fLanguage],
		Expires: unixField(h[fExpires]), InstalledAt: unixField(h[fInstalled]),
		RefreshedAt: unixField(h[fRefreshed]), NeedsReinstall: h[fReinstall] == "1",
		Commands: map[string]string{},
	}
	for k, v := range h {
		if name, ok := strings.CutPrefix(k, fCommandPref); ok {
			p.Commands[name] = v
		}
	}
	if p.AccessToken, err = s.sealer.Open(h[fAccess]); err != nil {
		return Portal{}, err
	}
	if p.RefreshToken, err = s.sealer.Open(h[fRefresh]); err != nil {
		return Portal{}, err
	}
	if p.ApplicationToken, err = s.sealer.Open(h[fAppToken]); err != nil {
		return Portal{}, err
	}
	return p, nil
}

// UpdatePortalFields sets single fields of a stored portal (bot id, endpoint, flags) without
// touching the rest, so that concurrent token refreshes are not overwritten.
func (s *Store) UpdatePortalFields(ctx context.Context, member string, f PortalFields) error {
	fields := map[string]any{}
	if f.BotID != "" {
		fields[fBotID] = f.BotID
	}
	if f.ClientEndpoint != "" {
		fields[fClient] = f.ClientEndpoint
	}
	if f.NeedsReinstall != nil {
		fields[fReinstall] = boolField(*f.NeedsReinstall)
	}
	for name, id := range f.Commands {
		fields[fCommandPref+name] = id
	}
	if len(fields) == 0 {
		return nil
	}
	return s.rdb.HSet(ctx, portalKey(member), fields).Err()
}

// PortalFields are the portal fields UpdatePortalFields may set; zero values are left alone.
type PortalFields struct {
	BotID          string
	ClientEndpoint string
	NeedsReinstall *bool
	Commands       map[string]string
}

// SaveTokens stores a refreshed token pair.
func (s *Store) SaveTokens(ctx context.Context, member, access, refresh string,
	exp time.Time) error {
	return s.rdb.HSet(ctx, portalKey(member), map[string]any{
		fAccess: s.sealer.Seal(access), fRefresh: s.sealer.Seal(refresh),
		fExpires: exp.Unix(), fRefreshed: time.Now().Unix(), fReinstall: "0",
	}).Err()
}

// Portals lists the member_ids of installed portals.
func (s *Store) Portals(ctx context.Context) ([]string, error) {
	return s.rdb.SMembers(ctx, portalsKey()).Result()
}

// DeletePortal removes a portal's tokens and every key scoped by its member_id, and takes its
// chats and tasks out of the file indexes.
func (s *Store) DeletePortal(ctx context.Context, member string) error {
	for _, chat := range s.rdb.SMembers(ctx, memberChatsKey(member)).Val() {
		if err := s.RemoveChatLinks(ctx, member, chat); err != nil {
			return err
		}
	}
	for _, task := range s.rdb.SMembers(ctx, memberTasksKey(member)).Val() {
		if err := s.SetTaskLinks(ctx, member, task, nil); err != nil {
			return err
		}
	}
	// Marks and own-ids name the portal inside their key (done:reply:<member>:..., own:kind:
	// <member>:..., done:invalid_grant:<member>); they go too, so nothing of it outlives it.
	for _, pattern := range []string{Prefix + member + ":*", Prefix + "done:*" + member + "*",
		Prefix + "own:*" + member + "*"} {
		if err := s.deleteByPattern(ctx, pattern); err != nil {
			return err
		}
	}
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, portalKey(member))
	pipe.SRem(ctx, portalsKey(), member)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: delete portal: %w", err)
	}
	return nil
}

func (s *Store) deleteByPattern(ctx context.Context, pattern string) error {
	iter := s.rdb.Scan(ctx, 0, pattern, 200).Iterator()
	for iter.Next(ctx) {
		if err := s.rdb.Del(ctx, iter.Val()).Err(); err != nil {
			return fmt.Errorf("store: delete %s: %w", pattern, err)
		}
	}
	return iter.Err()
}

// SavePendingInstall keeps an install event's portal, encrypted, until a worker has checked
// that its token works. It returns the id to hand to the worker.
func (s *Store) SavePendingInstall(ctx context.Context, p Portal, id string) error {
	fields := []string{p.Domain, p.ClientEndpoint, p.ServerEndpoint, p.AccessToken,
		p.RefreshToken, strconv.FormatInt(p.Expires.Unix(), 10), p.Scope, p.ApplicationToken,
		p.Language}
	sealed := s.sealer.Seal(strings.Join(fields, "\x00"))
	return s.rdb.Set(ctx, pendingInstallKey(p.MemberID, id), sealed, 24*time.Hour).Err()
}

// PendingInstall loads and deletes what SavePendingInstall stored.
func (s *Store) PendingInstall(ctx context.Context, member, id string) (Portal, error) {
	sealed, err := s.rdb.Get(ctx, pendingInstallKey(member, id)).Result()
	if errors.Is(err, redis.Nil) {
		return Portal{}, ErrNotFound
	}
	if err != nil {
		return Portal{}, fmt.Errorf("store: pending install: %w", err)
	}
	plain, err := s.sealer.Open(sealed)
	if err != nil {
		return Portal{}, err
	}
	f := strings.Split(plain, "\x00")
	if len(f) != 9 {
		return Portal{}, ErrDecrypt
	}
	return Portal{MemberID: member, Domain: f[0], ClientEndpoint: f[1], ServerEndpoint: f[2],
		AccessToken: f[3], RefreshToken: f[4], Expires: unixField(f[5]), Scope: f[6],
		ApplicationToken: f[7], Language: f[8]}, nil
}

// DropPendingInstall deletes a pending install once it is handled.
func (s *Store) DropPendingInstall(ctx context.Context, member, id string) error {
	return s.rdb.Del(ctx, pendingInstallKey(member, id)).Err()
}

func boolField(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func unixField(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return time.Time{}
	}
	return time.Unix(n, 0)
}
