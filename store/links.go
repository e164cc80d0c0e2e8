package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Link ties a Figma file, and optionally one of its nodes, to a B24 chat or task.
type Link struct {
	MemberID string    `json:"member_id"`
	DialogID string    `json:"dialog_id,omitempty"` // "chat12" or a user id; "" for a task link
	TaskID   string    `json:"task_id,omitempty"`   // "" for a chat link
	FileKey  string    `json:"file_key"`            // the key to call Figma with (branch key)
	MainKey  string    `json:"main_key,omitempty"`  // the main file of a branch
	NodeID   string    `json:"node_id,omitempty"`   // API form "1:2"
	URL      string    `json:"url"`
	Title    string    `json:"title,omitempty"`
	AddedBy  string    `json:"added_by,omitempty"` // B24 user id
	AddedAt  time.Time `json:"added_at"`
	Dead     bool      `json:"dead,omitempty"` // the file was deleted in Figma
}

// ID names the link within its chat or task: the file key, plus the node when there is one.
func (l Link) ID() string {
	if l.NodeID == "" {
		return l.FileKey
	}
	return l.FileKey + "@" + l.NodeID
}

// ChatRef names one chat of one portal.
type ChatRef struct{ MemberID, DialogID string }

// TaskRef names one task of one portal.
type TaskRef struct{ MemberID, TaskID string }

// Event kinds a chat can subscribe to.
const (
	KindComments = "comments"
	KindVersions = "versions"
	KindUpdates  = "updates"
	KindDeletes  = "deletes"
	KindLibrary  = "library"
	KindDevMode  = "devmode"
)

// AllKinds lists every subscription kind in display order.
var AllKinds = []string{KindComments, KindVersions, KindUpdates, KindDeletes, KindLibrary,
	KindDevMode}

// DefaultKinds is what a chat receives after its first link.
var DefaultKinds = []string{KindComments, KindVersions}

// addChatLinkScript stores a chat link and indexes it; a chat without subscriptions gets the
// default ones. KEYS: chat links hash, file chats set, member chats set, files set, subs set.
// ARGV: link id, link JSON, "member|dialog", dialog, file key, default kinds...
var addChatLinkScript = redis.NewScript(`
local added = redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
redis.call("SADD", KEYS[2], ARGV[3])
redis.call("SADD", KEYS[3], ARGV[4])
redis.call("SADD", KEYS[4], ARGV[5])
if redis.call("EXISTS", KEYS[5]) == 0 then
  for i = 6, #ARGV do redis.call("SADD", KEYS[5], ARGV[i]) end
end
return added`)

// AddChatLink links a file to a chat and reports whether the link is new.
func (s *Store) AddChatLink(ctx context.Context, l Link) (bool, error) {
	raw, err := json.Marshal(l)
	if err != nil {
		return false, err
	}
	keys := []string{chatLinksKey(l.MemberID, l.DialogID), fileChatsKey(l.FileKey),
		memberChatsKey(l.MemberID), filesKey(), subsKey(l.MemberID, l.DialogID)}
	args := []any{l.ID(), raw, ref(l.MemberID, l.DialogID), l.DialogID, l.FileKey}
	for _, k := range DefaultKinds {
		args = append(args, k)
	}
	n, err := addChatLinkScript.Run(ctx, s.rdb, keys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("store: add chat link: %w", err)
	}
	return n == 1, nil
}

// ChatLinks lists a chat's links, ordered by file key and node.
func (s *Store) ChatLinks(ctx context.Context, member, dialog string) ([]Link, error) {
	return s.links(ctx, chatLinksKey(member, dialog))
}

// TaskLinks lists a task's links.
func (s *Store) TaskLinks(ctx context.Context, member, task string) ([]Link, error) {
	return s.links(ctx, taskLinksKey(member, task))
}

func (s *Store) links(ctx context.Context, key string) ([]Link, error) {
	h, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("store: links: %w", err)
	}
	out := make([]Link, 0, len(h))
	for _, raw := range h {
		var l Link
		if json.Unmarshal([]byte(raw), &l) == nil {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out, nil
}

// RemoveChatLink removes one link from a chat; it reports whether the link existed.
func (s *Store) RemoveChatLink(ctx context.Context, member, dialog, linkID string) (bool, error) {
	links, err := s.ChatLinks(ctx, member, dialog)
	if err != nil {
		return false, err
	}
	var gone *Link
	for i := range links {
		if links[i].ID() == linkID {
			gone = &links[i]
		}
	}
	if gone == nil {
		return false, nil
	}
	if err := s.rdb.HDel(ctx, chatLinksKey(member, dialog), linkID).Err(); err != nil {
		return false, fmt.Errorf("store: remove chat link: %w", err)
	}
	return true, s.unindexChat(ctx, member, dialog, gone.FileKey)
}

// RemoveChatLinks removes every link of a chat and returns how many there were.
func (s *Store) RemoveChatLinks(ctx context.Context, member, dialog string) error {
	links, err := s.ChatLinks(ctx, member, dialog)
	if err != nil {
		return err
	}
	if err := s.rdb.Del(ctx, chatLinksKey(member, dialog)).Err(); err != nil {
		return fmt.Errorf("store: remove chat links: %w", err)
	}
	for _, l := range links {
		if err := s.unindexChat(ctx, member, dialog, l.FileKey); err != nil {
			return err
		}
	}
	return s.rdb.SRem(ctx, memberChatsKey(member), dialog).Err()
}

// unindexChat drops the chat from a file's index unless another of its links names that file.
func (s *Store) unindexChat(ctx context.Context, member, dialog, fileKey string) error {
	rest, err := s.ChatLinks(ctx, member, dialog)
	if err != nil {
		return err
	}
	for _, l := range rest {
		if l.FileKey == fileKey {
			return nil
		}
	}
	return s.rdb.SRem(ctx, fileChatsKey(fileKey), ref(member, dialog)).Err()
}

// SetTaskLinks replaces a task's links (as read from its UF_FIGMA_URL field, or set by /link in
// its chat) and keeps the file index in step. Nil removes them all.
func (s *Store) SetTaskLinks(ctx context.Context, member, task string, links []Link) error {
	old, err := s.TaskLinks(ctx, member, task)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, taskLinksKey(member, task))
	for _, l := range links {
		raw, _ := json.Marshal(l)
		pipe.HSet(ctx, taskLinksKey(member, task), l.ID(), raw)
		pipe.SAdd(ctx, fileTasksKey(l.FileKey), ref(member, task))
		pipe.SAdd(ctx, filesKey(), l.FileKey)
		keep[l.FileKey] = true
	}
	for _, l := range old {
		if !keep[l.FileKey] {
			pipe.SRem(ctx, fileTasksKey(l.FileKey), ref(member, task))
		}
	}
	if len(links) > 0 {
		pipe.SAdd(ctx, memberTasksKey(member), task)
	} else {
		pipe.SRem(ctx, memberTasksKey(member), task)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("store: set task links: %w", err)
	}
	return nil
}

// AddTaskLink adds one link to a task, keeping the others.
func (s *Store) AddTaskLink(ctx context.Context, l Link) error {
	links, err := s.TaskLinks(ctx, l.MemberID, l.TaskID)
	if err != nil {
		return err
	}
	for _, old := range links {
		if old.ID() == l.ID() {
			return nil
		}
	}
	return s.SetTaskLinks(ctx, l.MemberID, l.TaskID, append(links, l))
}

// FileChats lists every chat a file is linked to, across portals.
func (s *Store) FileChats(ctx context.Context, fileKey string) ([]ChatRef, error) {
	refs, err := s.rdb.SMembers(ctx, fileChatsKey(fileKey)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: file chats: %w", err)
	}
	sort.Strings(refs)
	out := make([]ChatRef, 0, len(refs))
	for _, r := range refs {
		m, d, _ := strings.Cut(r, "|")
		out = append(out, ChatRef{MemberID: m, DialogID: d})
	}
	return out, nil
}

// FileTasks lists every task a file is linked to, across portals.
func (s *Store) FileTasks(ctx context.Context, fileKey string) ([]TaskRef, error) {
	refs, err := s.rdb.SMembers(ctx, fileTasksKey(fileKey)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: file tasks: %w", err)
	}
	sort.Strings(refs)
	out := make([]TaskRef, 0, len(refs))
	for _, r := range refs {
		m, t, _ := strings.Cut(r, "|")
		out = append(out, TaskRef{MemberID: m, TaskID: t})
	}
	return out, nil
}

// Files lists every linked file key.
func (s *Store) Files(ctx context.Context) ([]string, error) {
	keys, err := s.rdb.SMembers(ctx, filesKey()).Result()
	sort.Strings(keys)
	return keys, err
}

// MarkFileDead flags every chat link to a deleted file, so /links can say so.
func (s *Store) MarkFileDead(ctx context.Context, fileKey string) error {
	chats, err := s.FileChats(ctx, fileKey)
	if err != nil {
		return err
	}
	for _, c := range chats {
		links, err := s.ChatLinks(ctx, c.MemberID, c.DialogID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.FileKey != fileKey {
				continue
			}
			l.Dead = true
			raw, _ := json.Marshal(l)
			key := chatLinksKey(c.MemberID, c.DialogID)
			if err := s.rdb.HSet(ctx, key, l.ID(), raw).Err(); err != nil {
				return fmt.Errorf("store: mark dead: %w", err)
			}
		}
	}
	return nil
}

// Subscriptions returns the kinds a chat receives, in display order.
func (s *Store) Subscriptions(ctx context.Context, member, dialog string) ([]string, error) {
	set, err := s.rdb.SMembers(ctx, subsKey(member, dialog)).Result()
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions: %w", err)
	}
	have := map[string]bool{}
	for _, k := range set {
		have[k] = true
	}
	var out []string
	for _, k := range AllKinds {
		if have[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// subscribedScript answers whether a chat receives a kind; a chat that never chose (a project
// chat reached through a linked task) receives the default kinds. KEYS: subs set. ARGV: kind,
// "1" when kind is a default.
var subscribedScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 0 then return tonumber(ARGV[2]) end
return redis.call("SISMEMBER", KEYS[1], ARGV[1])`)

// Subscribed reports whether a chat receives events of kind.
func (s *Store) Subscribed(ctx context.Context, member, dialog, kind string) (bool, error) {
	def := "0"
	for _, k := range DefaultKinds {
		if k == kind {
			def = "1"
		}
	}
	n, err := subscribedScript.Run(ctx, s.rdb, []string{subsKey(member, dialog)}, kind, def).Int()
	if err != nil {
		return false, fmt.Errorf("store: subscribed: %w", err)
	}
	return n == 1, nil
}

// SetSubscriptions replaces a chat's kinds. An empty list means "none": the set keeps a marker
// so that the defaults are not applied again at the next link.
func (s *Store) SetSubscriptions(ctx context.Context, member, dialog string, kinds []string) error {
	pipe := s.rdb.TxPipeline()
	pipe.Del(ctx, subsKey(member, dialog))
	members := []any{"-"}
	for _, k := range kinds {
		members = append(members, k)
	}
	pipe.SAdd(ctx, subsKey(member, dialog), members...)
	_, err := pipe.Exec(ctx)
	return err
}

func ref(member, id string) string { return member + "|" + id }
