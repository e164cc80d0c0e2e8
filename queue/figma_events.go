package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

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
		return h.fanOut(ctx, ev, store.KindDeletes, func(lang string) string {
			return bot.T(lang, "file_delete", bot.Quote(ev.FileName, 200), bot.Quote(who, 100))
		})
	case "LIBRARY_PUBLISH":
		return h.fanOut(ctx, ev, store.KindLibrary, func(lang string) string {
			return bot.T(lang, "library", bot.Quote(userHandle(ev.TriggeredBy), 100),
				bot.Quote(librarySummary(ev.Library), 600), fileLink(lang, ev.FileKey, ""))
		})
	case "DEV_MODE_STATUS_UPDATE":
		return h.fanOut(ctx, ev, store.KindDevMode, func(lang string) string {
			return bot.T(lang, "devmode", bot.Quote(ev.FileName, 200), bot.Quote(ev.Status, 40),
				bot.Quote(userHandle(ev.TriggeredBy), 100), fileLink(lang, ev.FileKey, ev.NodeID))
		})
	}
	log.Debug("figma event of a kind figbot does not relay")
	return nil
}

// relayComment posts a comment to the file's chats once: never the bot's own comments, and
// never again when Figma re-fires the event for an edit or a resolve.
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
	err := h.fanOut(ctx, ev, store.KindComments, func(lang string) string {
		return commentText(lang, ev)
	})
	if err != nil {
		return err
	}
	_, err = h.Store.Mark(ctx, relayed, 30*24*time.Hour)
	log.WithField("comment_id", ev.CommentID).Info("comment relayed")
	return err
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

func commentText(lang string, ev figma.Event) string {
	key := "comment"
	if ev.ParentID != "" {
		key = "reply"
	}
	author := bot.Quote(userHandle(ev.TriggeredBy), 100)
	link := bot.Link(bot.CommentURL(ev.FileKey, "", ev.CommentID), bot.T(lang, "open_comment"))
	return bot.T(lang, key, author, bot.Quote(ev.FileName, 200), bot.Quote(ev.Text(), bot.MaxText),
		link)
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
	return h.fanOut(ctx, ev, store.KindVersions, func(lang string) string {
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
	return h.fanOut(ctx, ev, store.KindUpdates, func(lang string) string {
		return bot.T(lang, "file_update", bot.Quote(p.FileName, 200), fileLink(lang, p.FileKey, ""))
	})
}

// fanOut sends a notice to each chat linked to the event's file that subscribed to kind.
func (h *Handlers) fanOut(ctx context.Context, ev figma.Event, kind string,
	text func(lang string) string) error {
	chats, err := h.Store.FileChats(ctx, ev.FileKey)
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
			Text:   text(bot.Lang(lang)),
			Effect: "notice:" + ev.DedupKey() + ":" + c.MemberID + ":" + c.DialogID}
		if err := h.notifyChat(ctx, n); err != nil {
			return err
		}
	}
	return nil
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
