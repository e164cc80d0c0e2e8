package queue

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/store"
)

// effectTTL is how long a done effect is remembered: the dedup window, with margin.
const effectTTL = DedupWindow

// maxMessage keeps a digest well under B24's message size; longer digests are split.
const maxMessage = 8000

// notifyChat enqueues a notice for one chat. Notices wait in the chat's group so that a burst
// becomes one digest; the effect id keeps a retried fan-out from adding a notice twice.
func (h *Handlers) notifyChat(ctx context.Context, n NoticePayload) error {
	done, err := h.Store.Marked(ctx, n.Effect)
	if err != nil || done {
		return err
	}
	_, err = h.Jobs.Add(ctx, TypeNotice, n, n.Effect,
		asynq.Group(n.MemberID+"|"+n.DialogID))
	return err
}

// notice posts a single notice; asynq runs it when a group holds just one task and the
// aggregator is not configured (tests with a plain mux), or when enqueued without a group.
func (h *Handlers) notice(ctx context.Context, t *asynq.Task) error {
	var n NoticePayload
	if err := decode(t, &n); err != nil {
		return err
	}
	return h.postNotices(ctx, []NoticePayload{n})
}

// digest posts the notices of one chat gathered by the group aggregator.
func (h *Handlers) digest(ctx context.Context, t *asynq.Task) error {
	var d DigestPayload
	if err := decode(t, &d); err != nil {
		return err
	}
	return h.postNotices(ctx, d.Notices)
}

// postNotices posts the notices not yet delivered: replies to a comment already shown in the
// chat go as B24 replies to its message, the rest as one message (or a few, when long). Each
// notice is marked done once posted.
func (h *Handlers) postNotices(ctx context.Context, all []NoticePayload) error {
	var digest []NoticePayload
	for _, n := range all {
		done, err := h.Store.Marked(ctx, n.Effect)
		if err != nil {
			return err
		}
		if done {
			continue
		}
		parent := h.threadMessage(ctx, n)
		if parent == "" {
			digest = append(digest, n)
			continue
		}
		if err := h.postBatch(ctx, []NoticePayload{n}, parent); err != nil {
			return err
		}
	}
	if len(digest) == 0 {
		return nil
	}
	return h.postBatch(ctx, digest, "")
}

// threadMessage finds the chat message that showed the comment a reply answers.
func (h *Handlers) threadMessage(ctx context.Context, n NoticePayload) string {
	if n.ReplyTo == "" {
		return ""
	}
	id, err := h.Store.ChatMessage(ctx, n.MemberID, n.DialogID, n.ReplyTo)
	if err != nil {
		return ""
	}
	return id
}

// postBatch posts notices of one chat as one message (split when long), records which message
// shows which Figma comment, and marks the notices done.
func (h *Handlers) postBatch(ctx context.Context, ns []NoticePayload, replyID string) error {
	first := ns[0]
	var msgID string
	for _, text := range digestTexts(first.Lang, ns) {
		id, err := h.postMessage(ctx, first.MemberID, first.DialogID, text, replyID)
		if err != nil {
			return err
		}
		msgID = id
	}
	for _, n := range ns {
		if n.Thread != "" {
			err := h.Store.SetChatMessage(ctx, n.MemberID, n.DialogID, n.Thread, msgID)
			if err != nil {
				return err
			}
		}
		if _, err := h.Store.Mark(ctx, n.Effect, effectTTL); err != nil {
			return err
		}
	}
	h.Log.WithFields(logrus.Fields{"member_id": first.MemberID, "chat_id": first.DialogID,
		"notices": len(ns)}).Info("posted to chat")
	return nil
}

// digestTexts joins notices into messages: one notice is posted as is; several get a header
// and separators, split before a message grows past maxMessage.
func digestTexts(lang string, ns []NoticePayload) []string {
	if len(ns) == 1 {
		return []string{ns[0].Text}
	}
	var out []string
	var b strings.Builder
	b.WriteString(bot.T(bot.Lang(lang), "digest", len(ns)))
	for _, n := range ns {
		if b.Len()+len(n.Text) > maxMessage {
			out = append(out, b.String())
			b.Reset()
		}
		if b.Len() > 0 {
			b.WriteString("\n———\n")
		}
		b.WriteString(n.Text)
	}
	return append(out, b.String())
}

// post sends one message as the bot and remembers its id, so the bot never relays it back.
func (h *Handlers) post(ctx context.Context, member, dialog, text string) (string, error) {
	return h.postMessage(ctx, member, dialog, text, "")
}

// postMessage posts as the bot, as a reply to replyID when it is set.
func (h *Handlers) postMessage(ctx context.Context, member, dialog, text, replyID string) (string,
	error) {
	p, err := h.portal(ctx, member)
	if err != nil {
		return "", err
	}
	id, err := h.B24.MessageAdd(ctx, member, b24.Message{
		BotID: p.BotID, DialogID: dialog, Message: text, URLPreview: false, ReplyID: replyID,
	})
	if errors.Is(err, b24.ErrAccessDenied) {
		_ = h.Store.SetCannotPost(ctx, member, dialog, true)
		return "", fmt.Errorf("queue: bot cannot post to %s: %w: %w", dialog, err, asynq.SkipRetry)
	}
	if err != nil {
		return "", err
	}
	_ = h.Store.SetCannotPost(ctx, member, dialog, false)
	if err := h.Store.RememberOwn(ctx, "b24_message", member+":"+id, 30*24*time.Hour); err != nil {
		return id, err
	}
	return id, nil
}

// portal loads a portal; a portal that is gone ends the task for good.
func (h *Handlers) portal(ctx context.Context, member string) (store.Portal, error) {
	p, err := h.Store.Portal(ctx, member)
	if errors.Is(err, store.ErrNotFound) {
		return p, fmt.Errorf("queue: portal %s is not installed: %w", member, asynq.SkipRetry)
	}
	return p, err
}

// taskNote writes a comment into a task: in the task chat for the new task card, as a classic
// comment otherwise.
func (h *Handlers) taskNote(ctx context.Context, t *asynq.Task) error {
	var n TaskNotePayload
	if err := decode(t, &n); err != nil {
		return err
	}
	if done, err := h.Store.Marked(ctx, n.Effect); err != nil || done {
		return err
	}
	task, err := h.B24.TaskGet(ctx, n.MemberID, n.TaskID, nil)
	if err != nil {
		return err
	}
	text := versionNote(n, task)
	if n.Kind == "reply" {
		text = replyNote(n)
	}
	id, err := h.writeTaskComment(ctx, n.MemberID, task, text)
	if err != nil {
		return err
	}
	if n.Kind == "reply" && n.ParentID != "" {
		// A reply in B24 to this message continues the same Figma thread.
		thread := "task/" + n.TaskID + "/" + id
		err := h.Store.LinkThread(ctx, n.MemberID, n.FileKey+"/"+n.ParentID, thread)
		if err != nil {
			return err
		}
	}
	_, err = h.Store.Mark(ctx, n.Effect, effectTTL)
	h.Log.WithFields(logrus.Fields{"member_id": n.MemberID, "task_id": n.TaskID,
		"file_key": n.FileKey}).Info("commented on task")
	return err
}

// replyNote is a Figma reply to a comment that came from this task.
func replyNote(n TaskNotePayload) string {
	lang := bot.Lang(n.Lang)
	link := bot.Link(bot.CommentURL(n.FileKey, "", n.CommentID), bot.T(lang, "open_comment"))
	return bot.T(lang, "reply_task", bot.Quote(n.Author, 100), n.Text, link)
}

func versionNote(n TaskNotePayload, task b24.Task) string {
	lang := bot.Lang(n.Lang)
	who := bot.Mention(task.ResponsibleID, task.ResponsibleName)
	label := bot.Quote(n.Label, 200)
	if label == "" {
		label = bot.Quote(n.FileName, 200)
	}
	desc := bot.Quote(n.Description, bot.MaxText)
	link := bot.Link(bot.FileURL(n.FileKey, ""), bot.T(lang, "open_file"))
	return strings.TrimSpace(bot.T(lang, "version_task", who, label, desc, link))
}

// writeTaskComment adds a comment as the bot: into the task chat when the task has one (new
// card), else with task.commentitem.add. It returns the new message or comment id.
func (h *Handlers) writeTaskComment(ctx context.Context, member string, task b24.Task,
	text string) (string, error) {
	p, err := h.portal(ctx, member)
	if err != nil {
		return "", err
	}
	if task.ChatID != "" && task.ChatID != "0" {
		if err := h.joinChat(ctx, member, p.BotID, task.ChatID); err != nil {
			return "", err
		}
		return h.post(ctx, member, "chat"+task.ChatID, text)
	}
	id, err := h.B24.CommentItemAdd(ctx, member, task.ID, p.BotID, text)
	if err != nil {
		return "", err
	}
	return id, h.Store.RememberOwn(ctx, "b24_comment", member+":"+id, 30*24*time.Hour)
}

// joinChat adds the bot to a chat once. B24 answers a second add with WRONG_REQUEST ("You
// don't have access or user already member in chat"), which cannot tell the two cases apart;
// the post that follows does (ACCESS_DENIED when the bot is not in), so that answer is let
// through here.
func (h *Handlers) joinChat(ctx context.Context, member, botID, chatID string) error {
	key := "joined:" + member + ":" + chatID
	var joined bool
	if ok, _ := h.Store.CacheGet(ctx, key, &joined); ok && joined {
		return nil
	}
	err := h.B24.ChatUserAdd(ctx, member, botID, chatID, []string{botID})
	var apiErr *b24.APIError
	if err != nil && !errors.Is(err, b24.ErrAlreadyExists) &&
		!(errors.As(err, &apiErr) && apiErr.Code == "WRONG_REQUEST") {
		return err
	}
	return h.Store.CachePut(ctx, key, true, 30*24*time.Hour)
}
