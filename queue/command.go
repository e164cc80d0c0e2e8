package queue

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/commands"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// longWait is how long a command may be held by a rate limit before the chat is told.
const longWait = 2 * time.Minute

// command runs one chat command and posts its reply once, even when the task is retried.
func (h *Handlers) command(ctx context.Context, t *asynq.Task) error {
	var p CommandPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	req := commands.Request{MemberID: p.MemberID, DialogID: p.DialogID,
		ChatEntityType: p.ChatEntityType, ChatEntityID: p.ChatEntityID, UserID: p.UserID,
		UserName: p.UserName, Lang: p.Lang, Name: p.Command, Args: p.Params}
	log := h.Log.WithFields(logrus.Fields{"member_id": p.MemberID, "chat_id": p.DialogID,
		"command": p.Command})
	reply, err := h.dispatcher(p.MemberID).Run(ctx, req)
	if err != nil {
		h.tellIfParked(ctx, p, err)
		return err
	}
	log.Info("command handled")
	if reply == "" {
		return nil
	}
	return h.replyOnce(ctx, p.MemberID, p.DialogID, "reply:"+p.MemberID+":"+p.MessageID, reply)
}

// replyOnce posts text unless the effect was done by an earlier run of the same task.
func (h *Handlers) replyOnce(ctx context.Context, member, dialog, effect, text string) error {
	if done, err := h.Store.Marked(ctx, effect); err != nil || done {
		return err
	}
	if _, err := h.post(ctx, member, dialog, text); err != nil {
		return err
	}
	_, err := h.Store.Mark(ctx, effect, effectTTL)
	return err
}

// tellIfParked tells the chat, once per command, that Figma asked for a long wait: the task
// waits in the queue instead of holding a worker.
func (h *Handlers) tellIfParked(ctx context.Context, p CommandPayload, err error) {
	wait, limited := RateLimitWait(err)
	if !limited || wait < longWait {
		return
	}
	lang := bot.Lang(p.Lang)
	text := bot.T(lang, "rate_limited", bot.Duration(lang, wait))
	effect := "parked:" + p.MemberID + ":" + p.MessageID
	if err := h.replyOnce(ctx, p.MemberID, p.DialogID, effect, text); err != nil {
		h.Log.WithError(err).WithField("member_id", p.MemberID).Warn("cannot tell chat of wait")
	}
}

func (h *Handlers) dispatcher(member string) *commands.Dispatcher {
	return commands.New(commands.Deps{Store: h.Store, Files: metaCache{h, member}, Jobs: h})
}

// metaCache answers FileMeta from Redis for a minute, so that /links and /link on a busy
// chat cost one Figma call per file per minute. A miss asks Figma as the chat's portal.
type metaCache struct {
	h      *Handlers
	member string
}

// FileMeta implements commands.Files.
func (m metaCache) FileMeta(ctx context.Context, key string) (figma.FileMeta, error) {
	return m.h.fileMetaVia(ctx, m.h.figmaFor(ctx, m.member), key, time.Minute)
}

// fileMetaVia reads a file's metadata through fc, cached for maxAge (change events drop it).
func (h *Handlers) fileMetaVia(ctx context.Context, fc *figma.Client, key string,
	maxAge time.Duration) (figma.FileMeta, error) {
	var meta figma.FileMeta
	if ok, _ := h.Store.CacheGet(ctx, "meta:"+key, &meta); ok {
		return meta, nil
	}
	meta, err := fc.FileMeta(ctx, key)
	if err != nil {
		return meta, err
	}
	return meta, h.Store.CachePut(ctx, "meta:"+key, meta, maxAge)
}

// EnsureWebhooks implements commands.Jobs: a task makes sure webhooks cover the file.
func (h *Handlers) EnsureWebhooks(ctx context.Context, fileKey string, r commands.Request) error {
	p := EnsureWebhooksPayload{FileKey: fileKey, MemberID: r.MemberID, DialogID: r.DialogID,
		Lang: r.Lang}
	slot := time.Now().Truncate(time.Minute).Unix()
	_, err := h.Jobs.Add(ctx, TypeEnsureWebhooks, p, fileKey+":"+strconv.FormatInt(slot, 10))
	return err
}

// Status implements commands.Jobs: what the bot can reach right now, checked live: the Figma
// identity, the state of each webhook it made, the portal's token, the chats it cannot post to
// and the queue depth.
func (h *Handlers) Status(ctx context.Context, r commands.Request) ([]string, error) {
	var lines []string
	if me, err := h.figmaFor(ctx, r.MemberID).Me(ctx); err != nil {
		lines = append(lines, "Figma: ✗ "+bot.Quote(errorWords(err), 200))
	} else {
		lines = append(lines, "Figma: ✓ "+bot.Quote(me.Handle, 80))
	}
	hooks, err := h.webhookStates(ctx)
	if err != nil {
		return nil, err
	}
	lines = append(lines, hooks...)
	lines = append(lines, h.figmaConnectLine(ctx, r.MemberID)...)
	if p, err := h.portal(ctx, r.MemberID); err == nil {
		lines = append(lines, tokenLine(r.Lang, p))
	}
	blocked, err := h.Store.CannotPost(ctx, r.MemberID)
	if err != nil {
		return nil, err
	}
	for _, d := range blocked {
		lines = append(lines, "B24: ✗ cannot post to "+bot.Quote(d, 40))
	}
	return append(lines, h.queueDepth()), nil
}

// maxStatusHooks bounds the Figma calls one /status makes.
const maxStatusHooks = 10

func (h *Handlers) webhookStates(ctx context.Context) ([]string, error) {
	ids, err := h.Store.Webhooks(ctx)
	if err != nil {
		return nil, err
	}
	sort.Strings(ids)
	lines := []string{fmt.Sprintf("Figma webhooks made by figbot: %d", len(ids))}
	for i, id := range ids {
		if i == maxStatusHooks {
			lines = append(lines, fmt.Sprintf("  … and %d more", len(ids)-i))
			break
		}
		mine, err := h.Store.Webhook(ctx, id)
		if err != nil {
			continue
		}
		state := "?"
		if w, err := h.Figma.Webhook(ctx, id); err == nil {
			state = w.Status
		} else {
			state = "✗ " + errorWords(err)
		}
		lines = append(lines, fmt.Sprintf("  %s %s on %s %s: %s", bot.Quote(id, 20),
			mine.EventType, mine.Context, bot.Quote(mine.ContextID, 40), bot.Quote(state, 60)))
	}
	return lines, nil
}

func tokenLine(lang string, p store.Portal) string {
	since := p.RefreshedAt
	if since.IsZero() {
		since = p.InstalledAt
	}
	if p.NeedsReinstall {
		return "B24: ✗ " + bot.T(lang, "needs_reinstall")
	}
	return fmt.Sprintf("B24: ✓ token refreshed %s ago", time.Since(since).Round(time.Minute))
}

// queueDepth counts the tasks waiting in every queue.
func (h *Handlers) queueDepth() string {
	if h.Inspector == nil {
		return "Queue: unknown"
	}
	total := 0
	for q := range Queues {
		info, err := h.Inspector.GetQueueInfo(q)
		if err != nil {
			continue
		}
		total += info.Pending + info.Scheduled + info.Retry + info.Aggregating
	}
	return fmt.Sprintf("Queue: %d task(s) waiting", total)
}

// errorWords turns an outside error into a short reason for people.
func errorWords(err error) string {
	var rl *figma.RateLimitError
	switch {
	case errors.As(err, &rl):
		return "rate limited for " + rl.RetryAfter.Round(time.Second).String()
	case errors.Is(err, figma.ErrInvalidToken):
		return "the Figma token is invalid or expired"
	case errors.Is(err, figma.ErrMissingScope):
		return "the Figma token lacks a scope"
	case errors.Is(err, figma.ErrNoAccess):
		return "no access to this file"
	case errors.Is(err, figma.ErrNotFound):
		return "not found"
	}
	return "unreachable"
}
