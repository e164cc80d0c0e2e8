package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/store"
)

// checkSignificance renders each linked task frame at the file's new version and compares it
// with the render the task last saw. A difference past SignificantChange goes to the feed of
// the task's responsible person, with the new preview; smaller edits stay in the chats.
func (h *Handlers) checkSignificance(ctx context.Context, p FileUpdatePayload) error {
	tasks, err := h.Store.FileTasks(ctx, p.FileKey)
	if err != nil {
		return err
	}
	for _, tr := range tasks {
		links, err := h.Store.TaskLinks(ctx, tr.MemberID, tr.TaskID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.FileKey != p.FileKey || l.NodeID == "" {
				continue
			}
			if err := h.compareTaskFrame(ctx, tr, l, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// compareTaskFrame handles one task frame; the first render of a frame only sets the baseline.
func (h *Handlers) compareTaskFrame(ctx context.Context, tr store.TaskRef, l store.Link,
	p FileUpdatePayload) error {
	seenKey := "seen_preview:" + tr.MemberID + ":" + tr.TaskID + ":" + l.ID()
	var lastID string
	_, _ = h.Store.CacheGet(ctx, seenKey, &lastID)
	now, err := h.render(ctx, tr.MemberID, l.FileKey, l.NodeID)
	if err != nil || now.ID == lastID {
		return err
	}
	if err := h.Store.CachePut(ctx, seenKey, now.ID, 90*24*time.Hour); err != nil {
		return err
	}
	before, err := h.Store.Preview(ctx, lastID)
	if lastID == "" || errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	diff, err := Difference(before, now.Bytes)
	if err != nil {
		return nil
	}
	log := h.Log.WithFields(logrus.Fields{"member_id": tr.MemberID, "task_id": tr.TaskID,
		"file_key": l.FileKey, "difference": fmt.Sprintf("%.3f", diff)})
	if diff < SignificantChange {
		log.Debug("file update below the significance threshold")
		return nil
	}
	log.Info("significant file update")
	return h.tellResponsible(ctx, tr, now, p.Slot)
}

// tellResponsible posts the changed frame to the feed of the task's responsible person, once
// per update window.
func (h *Handlers) tellResponsible(ctx context.Context, tr store.TaskRef, now Preview,
	slot int64) error {
	effect := fmt.Sprintf("significant:%s:%s:%s:%d", tr.MemberID, tr.TaskID, now.NodeID, slot)
	if done, err := h.Store.Marked(ctx, effect); err != nil || done {
		return err
	}
	task, err := h.B24.TaskGet(ctx, tr.MemberID, tr.TaskID, taskSelect)
	if err != nil {
		return err
	}
	lang := bot.Lang(h.portalLang(ctx, tr.MemberID))
	text := bot.T(lang, "file_update_big", bot.Quote(now.FileName, 200),
		bot.Quote(now.NodeID, 40), previewText(lang, now))
	_, err = h.B24.BlogPostAdd(ctx, tr.MemberID, b24.BlogPost{Title: "Figma: " +
		bot.Cut(now.FileName, 80), Message: text, Dest: []string{"U" + task.ResponsibleID}})
	if err != nil {
		return err
	}
	if _, err := h.publishPreview(ctx, tr.MemberID, tr.TaskID, now); err != nil {
		h.Log.WithError(err).WithField("task_id", tr.TaskID).Warn("preview not uploaded")
	}
	_, err = h.Store.Mark(ctx, effect, 30*24*time.Hour)
	return err
}
