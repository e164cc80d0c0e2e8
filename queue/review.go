package queue

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/commands"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// taskSelect names the task fields figbot reads; custom fields come back only when named.
var taskSelect = []string{"ID", "TITLE", "STATUS", "RESPONSIBLE_ID", "GROUP_ID", "CHAT_ID",
	"UF_FIGMA_URL"}

// taskEvent keeps the file index in step with a task's UF_FIGMA_URL and starts or ends a
// review when the task enters or leaves the review status. B24 sends only the task id, so the
// bot compares with the last status it saw.
func (h *Handlers) taskEvent(ctx context.Context, t *asynq.Task) error {
	var p TaskEventPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	if p.Event == "ONTASKDELETE" {
		return h.Store.SetTaskLinks(ctx, p.MemberID, p.TaskID, nil)
	}
	task, err := h.B24.TaskGet(ctx, p.MemberID, p.TaskID, taskSelect)
	if errors.Is(err, b24.ErrNotFound) || errors.Is(err, b24.ErrAccessDenied) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := h.indexTask(ctx, p.MemberID, task); err != nil {
		return err
	}
	prev, err := h.Store.SwapTaskStatus(ctx, p.MemberID, p.TaskID, task.Status)
	if err != nil || prev == task.Status {
		return err
	}
	review := h.Config.Review.Status
	switch {
	case task.Status == review:
		return h.startReview(ctx, p.MemberID, task, "")
	case prev == review:
		return h.endReview(ctx, p.MemberID, task)
	}
	return nil
}

// indexTask reads the task's Figma links from UF_FIGMA_URL; links added with /link in the
// task's chat are kept.
func (h *Handlers) indexTask(ctx context.Context, member string, task b24.Task) error {
	old, err := h.Store.TaskLinks(ctx, member, task.ID)
	if err != nil {
		return err
	}
	var links []store.Link
	for _, l := range old {
		if l.AddedBy != "" {
			links = append(links, l)
		}
	}
	if err := h.rememberProjectChat(ctx, member, task); err != nil {
		return err
	}
	if err := h.Store.SetTaskState(ctx, member, task.ID, map[string]any{
		"group": task.GroupID}); err != nil {
		return err
	}
	for _, fl := range figma.FindLinks(task.UF["UF_FIGMA_URL"]) {
		links = append(links, store.Link{MemberID: member, TaskID: task.ID, FileKey: fl.FileKey,
			MainKey: fl.MainKey, NodeID: fl.NodeID, URL: fl.URL(), Title: fl.Title,
			AddedAt: time.Now().UTC()})
	}
	return h.Store.SetTaskLinks(ctx, member, task.ID, links)
}

// rememberProjectChat finds the chat of the task's project (once a day per project) and joins
// the bot to it, so that the file's notices reach the project too. A project without a chat, or
// one the bot may not join, is noted for /status and skipped.
func (h *Handlers) rememberProjectChat(ctx context.Context, member string, task b24.Task) error {
	if task.GroupID == "" || task.GroupID == "0" {
		return nil
	}
	key := "project_chat:" + member + ":" + task.GroupID
	var dialog string
	if ok, _ := h.Store.CacheGet(ctx, key, &dialog); !ok {
		dialog = h.joinProjectChat(ctx, member, task.GroupID)
		if err := h.Store.CachePut(ctx, key, dialog, 24*time.Hour); err != nil {
			return err
		}
	}
	return h.Store.SetTaskState(ctx, member, task.ID, map[string]any{"project_chat": dialog})
}

func (h *Handlers) joinProjectChat(ctx context.Context, member, group string) string {
	chatID, err := h.B24.ChatGet(ctx, member, "SONET_GROUP", group)
	if err != nil {
		return ""
	}
	p, err := h.portal(ctx, member)
	if err != nil {
		return ""
	}
	if err := h.joinChat(ctx, member, p.BotID, chatID); err != nil {
		_ = h.Store.SetCannotPost(ctx, member, "chat"+chatID, true)
		return ""
	}
	return "chat" + chatID
}

// StartReview implements commands.Jobs: /review <task id> starts the review as a status change.
func (h *Handlers) StartReview(ctx context.Context, taskID string, r commands.Request) error {
	task, err := h.B24.TaskGet(ctx, r.MemberID, taskID, taskSelect)
	if err != nil {
		return err
	}
	if err := h.indexTask(ctx, r.MemberID, task); err != nil {
		return err
	}
	return h.startReview(ctx, r.MemberID, task, r.DialogID)
}

// startReview attaches a fresh preview of each linked frame to the task as a comment and posts
// it to the asking chat; the review stays open until the task leaves the status.
func (h *Handlers) startReview(ctx context.Context, member string, task b24.Task,
	dialog string) error {
	links, err := h.Store.TaskLinks(ctx, member, task.ID)
	if err != nil || len(links) == 0 {
		return err
	}
	lang := bot.Lang(h.portalLang(ctx, member))
	for _, l := range links {
		effect := "review:" + member + ":" + task.ID + ":" + l.ID() + ":" + reviewRound(ctx, h,
			member, task.ID)
		if done, err := h.Store.Marked(ctx, effect); err != nil || done {
			continue
		}
		p, err := h.render(ctx, member, l.FileKey, l.NodeID)
		if err != nil {
			return err
		}
		text := previewText(lang, p)
		// The inline image lives as long as the preview in Redis (a week); the Drive file the
		// task comment also attaches stays.
		taskText := text
		file, err := h.publishPreview(ctx, member, task.ID, p)
		if err != nil {
			h.Log.WithError(err).WithField("task_id", task.ID).Warn("preview not uploaded")
		} else if file.ID != "" {
			taskText += "\n[DISK=" + file.ID + "]"
		}
		if _, err := h.writeTaskComment(ctx, member, task, taskText); err != nil {
			return err
		}
		if err := h.tellChats(ctx, member, l.FileKey, dialog, effect, text); err != nil {
			return err
		}
		if _, err := h.Store.Mark(ctx, effect, 30*24*time.Hour); err != nil {
			return err
		}
	}
	h.Log.WithFields(logrus.Fields{"member_id": member, "task_id": task.ID}).Info("review started")
	return h.Store.SetTaskState(ctx, member, task.ID, map[string]any{
		"review": "open", "to_figma": 0, "from_figma": 0})
}

// reviewRound counts reviews of a task, so that a second review gets a fresh preview.
func reviewRound(ctx context.Context, h *Handlers, member, task string) string {
	st, _ := h.Store.TaskState(ctx, member, task)
	return st["rounds"]
}

// endReview closes the review and says so in the task with the number of comments relayed.
func (h *Handlers) endReview(ctx context.Context, member string, task b24.Task) error {
	st, err := h.Store.TaskState(ctx, member, task.ID)
	if err != nil || st["review"] != "open" {
		return err
	}
	rounds, _ := strconv.Atoi(st["rounds"])
	if err := h.Store.SetTaskState(ctx, member, task.ID, map[string]any{
		"review": "closed", "rounds": rounds + 1}); err != nil {
		return err
	}
	lang := bot.Lang(h.portalLang(ctx, member))
	text := bot.T(lang, "review_closed", bot.Quote(task.Title, 200), orZero(st["to_figma"]),
		orZero(st["from_figma"]))
	if _, err := h.writeTaskComment(ctx, member, task, text); err != nil {
		return err
	}
	links, err := h.Store.TaskLinks(ctx, member, task.ID)
	if err != nil || len(links) == 0 {
		return err
	}
	effect := "review_end:" + member + ":" + task.ID + ":" + strconv.Itoa(rounds)
	return h.tellChats(ctx, member, links[0].FileKey, "", effect, text)
}

// tellChats sends a review message to the chats of the portal linked to the file, and to the
// chat that asked (for /review), each once.
func (h *Handlers) tellChats(ctx context.Context, member, fileKey, asked, effect,
	text string) error {
	chats, err := h.fileChats(ctx, fileKey)
	if err != nil {
		return err
	}
	if asked != "" {
		chats = append(chats, store.ChatRef{MemberID: member, DialogID: asked})
	}
	seen := map[string]bool{}
	for _, c := range chats {
		if c.MemberID != member || seen[c.DialogID] {
			continue
		}
		seen[c.DialogID] = true
		n := NoticePayload{MemberID: member, DialogID: c.DialogID, Text: text,
			Lang: h.portalLang(ctx, member), Effect: effect + ":" + c.DialogID}
		if err := h.notifyChat(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// taskComment relays a task comment to Figma while the task's review is open, pinned to the
// linked frame and signed with the B24 author's name. The bot's own comments are skipped.
func (h *Handlers) taskComment(ctx context.Context, t *asynq.Task) error {
	var p TaskCommentPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	st, err := h.Store.TaskState(ctx, p.MemberID, p.TaskID)
	if err != nil || st["review"] != "open" {
		return err
	}
	author, text, ownID, replyTo, err := h.readTaskComment(ctx, p)
	if err != nil || text == "" {
		return err
	}
	if own, err := h.Store.IsOwn(ctx, ownID.kind, p.MemberID+":"+ownID.id); err != nil || own {
		return err
	}
	effect := "to_figma:" + p.MemberID + ":" + ownID.id
	if done, err := h.Store.Marked(ctx, effect); err != nil || done {
		return err
	}
	fileKey, nc, err := h.figmaCommentFor(ctx, p, replyTo)
	if err != nil || fileKey == "" {
		return err
	}
	nc.Message = author + ": " + text
	c, err := h.figmaFor(ctx, p.MemberID).PostComment(ctx, fileKey, nc)
	if err != nil {
		return err
	}
	err = h.Store.RememberOwn(ctx, "figma_comment", fileKey+":"+c.ID, 30*24*time.Hour)
	if err != nil {
		return err
	}
	root := c.ID
	if nc.ReplyTo != "" {
		root = nc.ReplyTo
	}
	if err := h.Store.LinkThread(ctx, p.MemberID, fileKey+"/"+root,
		"task/"+p.TaskID+"/"+ownID.id); err != nil {
		return err
	}
	if _, err := h.Store.Mark(ctx, effect, 30*24*time.Hour); err != nil {
		return err
	}
	return h.Store.IncrTaskState(ctx, p.MemberID, p.TaskID, "to_figma", 1)
}

// figmaCommentFor decides where a task comment goes in Figma: a reply to a message that
// belongs to a Figma thread (a relayed comment or reply) joins that thread; any other comment
// starts one, pinned to the task's linked frame.
func (h *Handlers) figmaCommentFor(ctx context.Context, p TaskCommentPayload,
	replyTo string) (string, figma.NewComment, error) {
	if replyTo != "" {
		thread, err := h.Store.Thread(ctx, p.MemberID, store.SideB24,
			"task/"+p.TaskID+"/"+replyTo)
		if err == nil {
			fileKey, root, _ := strings.Cut(thread, "/")
			return fileKey, figma.NewComment{ReplyTo: root}, nil
		}
	}
	links, err := h.Store.TaskLinks(ctx, p.MemberID, p.TaskID)
	if err != nil || len(links) == 0 {
		return "", figma.NewComment{}, err
	}
	l := links[0]
	var nc figma.NewComment
	if l.NodeID != "" {
		nc.Pin = &figma.FrameOffset{NodeID: l.NodeID, X: 16, Y: 16}
	}
	return l.FileKey, nc, nil
}

type commentRef struct{ kind, id string }

// readTaskComment fetches the comment's author, text and, for a task chat message that
// replies to another, the message it replies to: a classic comment by its id, or a task chat
// message by its message id (the new card sends ID = 0).
func (h *Handlers) readTaskComment(ctx context.Context, p TaskCommentPayload) (string, string,
	commentRef, string, error) {
	if p.CommentID != "" && p.CommentID != "0" {
		c, err := h.B24.CommentItemGet(ctx, p.MemberID, p.TaskID, p.CommentID)
		if err != nil {
			return "", "", commentRef{}, "", err
		}
		return c.AuthorName, strings.TrimSpace(c.Message), commentRef{"b24_comment", p.CommentID},
			"", nil
	}
	task, err := h.B24.TaskGet(ctx, p.MemberID, p.TaskID, taskSelect)
	if err != nil {
		return "", "", commentRef{}, "", err
	}
	m, err := h.B24.MessageByID(ctx, p.MemberID, "chat"+task.ChatID, p.MessageID)
	if errors.Is(err, b24.ErrNotFound) {
		return "", "", commentRef{}, "", nil
	}
	if err != nil {
		return "", "", commentRef{}, "", err
	}
	return h.userName(ctx, p.MemberID, m.AuthorID), strings.TrimSpace(m.Text),
		commentRef{"b24_message", m.ID}, m.ReplyID, nil
}

// userName reads a B24 user's name with user.get, cached for a day.
func (h *Handlers) userName(ctx context.Context, member, userID string) string {
	key := "username:" + member + ":" + userID
	var name string
	if ok, _ := h.Store.CacheGet(ctx, key, &name); ok {
		return name
	}
	var users []struct {
		Name     string `json:"NAME"`
		LastName string `json:"LAST_NAME"`
	}
	params := map[string]any{"FILTER": map[string]string{"ID": userID}}
	name = "B24 user " + userID
	if err := h.B24.Call(ctx, member, "user.get", params, &users); err == nil && len(users) == 1 {
		if full := strings.TrimSpace(users[0].Name + " " + users[0].LastName); full != "" {
			name = full
		}
	}
	_ = h.Store.CachePut(ctx, key, name, 24*time.Hour)
	return name
}

// join greets a chat the bot was added to.
func (h *Handlers) join(ctx context.Context, t *asynq.Task) error {
	var p JoinPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return h.replyOnce(ctx, p.MemberID, p.DialogID, "welcome:"+p.MemberID+":"+p.DialogID,
		bot.T(bot.Lang(p.Lang), "welcome"))
}
