package queue

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// figmaEvent routes one verified Figma delivery to the chats and tasks the file is linked to.
// The payload is the delivery's JSON with the passcode removed.
func (h *Handlers) figmaEvent(ctx context.Context, t *asynq.Task) error {
	ev, err := figma.ParseEvent(t.Payload())
	if err != nil {
		return fmt.Errorf("queue: %v: %w", err, asynq.SkipRetry)
	}
	log := h.Log.WithFields(logrus.Fields{"file_key": ev.FileKey, "event": ev.Type,
		"webhook_id": ev.WebhookID})
	if err := h.forgetCached(ctx, ev); err != nil {
		return err
	}
	switch ev.Type {
	case "FILE_COMMENT":
		return h.relayComment(ctx, ev, log)
	case "FILE_VERSION_UPDATE":
		return h.relayVersion(ctx, ev, log)
	case "FILE_UPDATE":
		return h.coalesceUpdate(ctx, ev)
	case "FILE_DELETE":
		if err := h.Store.MarkFileDead(ctx, ev.FileKey); err != nil {
			return err
		}
		who := userHandle(ev.TriggeredBy)
		return h.fanOut(ctx, ev, store.KindDeletes, func(lang, _ string) string {
			return bot.T(lang, "file_delete", bot.Quote(ev.FileName, 200), bot.Quote(who, 100))
		})
	case "LIBRARY_PUBLISH":
		return h.fanOut(ctx, ev, store.KindLibrary, func(lang, _ string) string {
			return bot.T(lang, "library", bot.Quote(userHandle(ev.TriggeredBy), 100),
				bot.Quote(librarySummary(ev.Library), 600), fileLink(lang, ev.FileKey, ""))
		})
	case "DEV_MODE_STATUS_UPDATE":
		return h.fanOut(ctx, ev, store.KindDevMode, func(lang, _ string) string {
			return bot.T(lang, "devmode", bot.Quote(ev.FileName, 200), bot.Quote(ev.Status, 40),
				bot.Quote(userHandle(ev.TriggeredBy), 100), fileLink(lang, ev.FileKey, ev.NodeID))
		})
	}
	log.Debug("figma event of a kind figbot does not relay")
	return nil
}

// forgetCached drops what an event makes stale: the comment counts of the task widget on a
// comment; the file meta and the widget's file data on any change to the file.
func (h *Handlers) forgetCached(ctx context.Context, ev figma.Event) error {
	names := []string{CommentsCache(ev.FileKey)}
	if ev.Type != "FILE_COMMENT" {
		names = []string{"meta:" + ev.FileKey, WidgetFileCache(ev.FileKey)}
	}
	for _, n := range names {
		if err := h.Store.CacheDelete(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// relayComment posts a comment to the file's chats once: never the bot's own comments, and
// never again when Figma re-fires the event for an edit or a resolve. A reply to a comment that
// came from a task in review also goes back to that task.
func (h *Handlers) relayComment(ctx context.Context, ev figma.Event, log *logrus.Entry) error {
	if own, err := h.isOwnComment(ctx, ev); err != nil || own {
		if own {
			log.Debug("dropped the bot's own comment")
		}
		return err
	}
	relayed := "comment:" + ev.FileKey + ":" + ev.CommentID
	if done, err := h.Store.Marked(ctx, relayed); err != nil || done {
		if done {
			log.WithField("comment_id", ev.CommentID).Info("comment already relayed; skipped")
		}
		return err
	}
	if err := h.replyToTasks(ctx, ev); err != nil {
		return err
	}
	// The frame costs a Figma call: it is looked up once, and only if some chat gets the text.
	node, looked := "", false
	err := h.fanOut(ctx, ev, store.KindComments, func(lang, member string) string {
		if !looked {
			node, looked = h.commentNode(ctx, ev.FileKey, ev.CommentID), true
		}
		return h.commentText(ctx, lang, member, ev, node)
	})
	if err != nil {
		return err
	}
	_, err = h.Store.Mark(ctx, relayed, 30*24*time.Hour)
	log.WithField("comment_id", ev.CommentID).Info("comment relayed")
	return err
}

// commentNode finds the frame a comment is pinned to. The webhook does not say, so the file's
// comment list is read, cached for a few seconds so that a burst costs one call.
func (h *Handlers) commentNode(ctx context.Context, fileKey, commentID string) string {
	var nodes map[string]string
	if ok, _ := h.Store.CacheGet(ctx, "comment_nodes:"+fileKey, &nodes); !ok {
		comments, err := h.figmaForFile(ctx, fileKey).Comments(ctx, fileKey)
		if err != nil {
			return "" // the relay does not wait for the frame
		}
		nodes = map[string]string{}
		for _, c := range comments {
			nodes[c.ID] = c.NodeID
		}
		_ = h.Store.CachePut(ctx, "comment_nodes:"+fileKey, nodes, 10*time.Second)
	}
	return nodes[commentID]
}

// replyToTasks sends a Figma reply to the task whose review comment started the thread.
func (h *Handlers) replyToTasks(ctx context.Context, ev figma.Event) error {
	if ev.ParentID == "" {
		return nil
	}
	tasks, err := h.Store.FileTasks(ctx, ev.FileKey)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, tr := range tasks {
		if seen[tr.MemberID] {
			continue
		}
		seen[tr.MemberID] = true
		b24side, err := h.Store.Thread(ctx, tr.MemberID, store.SideFigma,
			ev.FileKey+"/"+ev.ParentID)
		if err != nil {
			continue
		}
		parts := strings.Split(b24side, "/") // task/<task_id>/<comment id>
		if len(parts) != 3 {
			continue
		}
		lang := h.portalLang(ctx, tr.MemberID)
		note := TaskNotePayload{MemberID: tr.MemberID, TaskID: parts[1], Kind: "reply",
			Effect: "figma_reply:" + ev.DedupKey() + ":" + tr.MemberID, FileKey: ev.FileKey,
			FileName: ev.FileName, Author: userHandle(ev.TriggeredBy), CommentID: ev.CommentID,
			ParentID: ev.ParentID,
			Text:     h.renderComment(ctx, tr.MemberID, ev), Lang: lang}
		if _, err := h.Jobs.Add(ctx, TypeTaskNote, note, note.Effect); err != nil {
			return err
		}
		if err := h.Store.IncrTaskState(ctx, tr.MemberID, parts[1], "from_figma", 1); err != nil {
			return err
		}
	}
	return nil
}

// isOwnComment recognises comments the bot wrote into Figma, by id or by author.
func (h *Handlers) isOwnComment(ctx context.Context, ev figma.Event) (bool, error) {
	own, err := h.Store.IsOwn(ctx, "figma_comment", ev.FileKey+":"+ev.CommentID)
	if err != nil || own {
		return own, err
	}
	if ev.TriggeredBy == nil || ev.TriggeredBy.ID == "" {
		return false, nil
	}
	me, err := h.figmaMe(ctx)
	if err != nil {
		return false, nil
	}
	return me.ID != "" && me.ID == ev.TriggeredBy.ID, nil
}

// figmaMe returns the bot's Figma identity, cached for an hour (one Tier 3 call).
func (h *Handlers) figmaMe(ctx context.Context) (figma.User, error) {
	var me figma.User
	if ok, _ := h.Store.CacheGet(ctx, "figma_me", &me); ok {
		return me, nil
	}
	me, err := h.Figma.Me(ctx)
	if err != nil {
		return me, err
	}
	return me, h.Store.CachePut(ctx, "figma_me", me, time.Hour)
}

// commentText shows a Figma comment in a chat of one portal: author, file, frame, the text
// with mentions as B24 mentions where the people are known, and a link to the comment.
func (h *Handlers) commentText(ctx context.Context, lang, member string, ev figma.Event,
	node string) string {
	key := "comment"
	if ev.ParentID != "" {
		key = "reply"
	}
	author := bot.Quote(userHandle(ev.TriggeredBy), 100)
	where := bot.Quote(ev.FileName, 200)
	if node != "" {
		where += " (" + bot.T(lang, "frame", bot.Quote(node, 40)) + ")"
	}
	link := bot.Link(bot.CommentURL(ev.FileKey, node, ev.CommentID), bot.T(lang, "open_comment"))
	return bot.T(lang, key, author, where, h.renderComment(ctx, member, ev), link)
}

// renderComment writes a comment's fragments for B24: text made inert and cut, mentions as
// [USER=id] when the Figma user maps to a B24 user of this portal, "@handle" otherwise.
func (h *Handlers) renderComment(ctx context.Context, member string, ev figma.Event) string {
	people := map[string]figma.User{}
	for _, u := range ev.Mentions {
		people[u.ID] = u
	}
	var b strings.Builder
	budget := bot.MaxText
	for _, f := range ev.Comment {
		if budget <= 0 {
			break
		}
		if f.Mention == "" {
			part := bot.Cut(f.Text, budget)
			budget -= utf8.RuneCountInString(part)
			b.WriteString(bot.Inert(part))
			continue
		}
		u := people[f.Mention]
		if id := h.b24UserFor(ctx, member, u); id != "" {
			b.WriteString(bot.Mention(id, u.Handle))
		} else {
			b.WriteString(bot.Inert("@" + u.Handle))
		}
	}
	return strings.TrimSpace(b.String())
}

// b24UserFor maps a Figma user to a B24 user of the portal: a mapping set by hand
// (store cache "people:<member>:<figma id>"), else the B24 user with the same e-mail. Answers,
// found or not, are cached for a day so that a mention costs at most one call a day.
func (h *Handlers) b24UserFor(ctx context.Context, member string, u figma.User) string {
	if u.ID == "" {
		return ""
	}
	key := "people:" + member + ":" + u.ID
	var id string
	if ok, _ := h.Store.CacheGet(ctx, key, &id); ok || u.Email == "" {
		return id
	}
	var users []struct {
		ID any `json:"ID"`
	}
	params := map[string]any{"FILTER": map[string]string{"EMAIL": u.Email}}
	if err := h.B24.Call(ctx, member, "user.get", params, &users); err != nil {
		return ""
	}
	if len(users) == 1 {
		id = fmt.Sprint(users[0].ID)
	}
	_ = h.Store.CachePut(ctx, key, id, 24*time.Hour)
	return id
}

// relayVersion comments in every linked task (naming its assignee) and tells the file's chats.
func (h *Handlers) relayVersion(ctx context.Context, ev figma.Event, log *logrus.Entry) error {
	tasks, err := h.Store.FileTasks(ctx, ev.FileKey)
	if err != nil {
		return err
	}
	for _, tr := range tasks {
		note := TaskNotePayload{MemberID: tr.MemberID, TaskID: tr.TaskID, Kind: "version",
			Effect:  "version:" + ev.DedupKey() + ":" + tr.MemberID + ":" + tr.TaskID,
			FileKey: ev.FileKey, FileName: ev.FileName, Label: ev.Label,
			Description: ev.Description, Author: userHandle(ev.TriggeredBy),
			Lang: h.portalLang(ctx, tr.MemberID)}
		if _, err := h.Jobs.Add(ctx, TypeTaskNote, note, note.Effect); err != nil {
			return err
		}
	}
	log.WithField("tasks", len(tasks)).Info("version relayed")
	return h.fanOut(ctx, ev, store.KindVersions, func(lang, _ string) string {
		label := ev.Label
		if label == "" {
			label = ev.VersionID
		}
		return bot.T(lang, "version_chat", bot.Quote(ev.FileName, 200), bot.Quote(label, 200),
			bot.Quote(ev.Description, bot.MaxText), fileLink(lang, ev.FileKey, ""))
	})
}

// coalesceUpdate turns the FILE_UPDATE deliveries of one window into one task: the task id
// holds the window's slot, so later deliveries in the same window are duplicates.
func (h *Handlers) coalesceUpdate(ctx context.Context, ev figma.Event) error {
	window := h.Config.Preview.FileUpdateWindow
	slot := ev.Timestamp.Truncate(window).Unix()
	p := FileUpdatePayload{FileKey: ev.FileKey, FileName: ev.FileName, Slot: slot}
	_, err := h.Jobs.Add(ctx, TypeFileUpdate, p, fmt.Sprintf("%s:%d", ev.FileKey, slot),
		asynq.ProcessIn(window))
	return err
}

// fileUpdate posts one notice for a window of edits to the chats subscribed to updates.
func (h *Handlers) fileUpdate(ctx context.Context, t *asynq.Task) error {
	var p FileUpdatePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	ev := figma.Event{Type: "FILE_UPDATE", FileKey: p.FileKey, FileName: p.FileName,
		Timestamp: time.Unix(p.Slot, 0)}
	err := h.fanOut(ctx, ev, store.KindUpdates, func(lang, _ string) string {
		return bot.T(lang, "file_update", bot.Quote(p.FileName, 200), fileLink(lang, p.FileKey, ""))
	})
	if err != nil {
		return err
	}
	return h.checkSignificance(ctx, p)
}

// fanOut sends a notice to each chat of the event's file that subscribed to kind: the chats
// where it was linked, and the project chats of the tasks linked to it.
func (h *Handlers) fanOut(ctx context.Context, ev figma.Event, kind string,
	text func(lang, member string) string) error {
	chats, err := h.fileChats(ctx, ev.FileKey)
	if err != nil {
		return err
	}
	for _, c := range chats {
		ok, err := h.Store.Subscribed(ctx, c.MemberID, c.DialogID, kind)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		lang := h.portalLang(ctx, c.MemberID)
		n := NoticePayload{MemberID: c.MemberID, DialogID: c.DialogID, Lang: lang,
			Text:   text(bot.Lang(lang), c.MemberID),
			Effect: "notice:" + ev.DedupKey() + ":" + c.MemberID + ":" + c.DialogID}
		if ev.Type == "FILE_COMMENT" {
			n.Thread = ev.FileKey + "/" + ev.CommentID
			if ev.ParentID != "" {
				n.ReplyTo = ev.FileKey + "/" + ev.ParentID
			}
		}
		if err := h.notifyChat(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// fileChats lists a file's chats once each: linked chats first, then the project chats of
// linked tasks (found when the task was indexed).
func (h *Handlers) fileChats(ctx context.Context, fileKey string) ([]store.ChatRef, error) {
	chats, err := h.Store.FileChats(ctx, fileKey)
	if err != nil {
		return nil, err
	}
	seen := map[store.ChatRef]bool{}
	for _, c := range chats {
		seen[c] = true
	}
	tasks, err := h.Store.FileTasks(ctx, fileKey)
	if err != nil {
		return nil, err
	}
	for _, tr := range tasks {
		st, err := h.Store.TaskState(ctx, tr.MemberID, tr.TaskID)
		if err != nil {
			return nil, err
		}
		c := store.ChatRef{MemberID: tr.MemberID, DialogID: st["project_chat"]}
		if c.DialogID != "" && !seen[c] {
			seen[c] = true
			chats = append(chats, c)
		}
	}
	return chats, nil
}

// portalLang is the language the portal installed the app in ("en" when unknown).
func (h *Handlers) portalLang(ctx context.Context, member string) string {
	p, err := h.Store.Portal(ctx, member)
	if err != nil || p.Language == "" {
		return "en"
	}
	return p.Language
}

func fileLink(lang, fileKey, nodeID string) string {
	return bot.Link(bot.FileURL(fileKey, nodeID), bot.T(lang, "open_file"))
}

func userHandle(u *figma.User) string {
	if u == nil || u.Handle == "" {
		return "Someone"
	}
	return u.Handle
}

func librarySummary(l figma.LibraryChanges) string {
	var parts []string
	add := func(verb string, assets []figma.Asset) {
		for _, a := range assets {
			parts = append(parts, verb+" "+a.Name)
		}
	}
	add("+", l.CreatedComponents)
	add("~", l.ModifiedComponents)
	add("−", l.DeletedComponents)
	add("+", l.CreatedStyles)
	add("~", l.ModifiedStyles)
	add("−", l.DeletedStyles)
	add("+", l.CreatedVariables)
	add("~", l.ModifiedVariables)
	add("−", l.DeletedVariables)
	return strings.Join(parts, ", ")
}
