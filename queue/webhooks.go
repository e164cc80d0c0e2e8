package queue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// WebhookEvents are the events a linked file needs covered (CONTRACT.md: at most three
// file-context hooks per file, Figma's limit).
var WebhookEvents = []string{"FILE_COMMENT", "FILE_VERSION_UPDATE", "FILE_UPDATE"}

// ensureWebhooks makes sure every needed event of a file is covered by a webhook that sends to
// this bot: a team hook (FIGMA_TEAM_ID) or file hooks already there are reused; missing ones
// are created on the file. A refusal is told to the chat that linked the file, in words.
func (h *Handlers) ensureWebhooks(ctx context.Context, t *asynq.Task) error {
	var p EnsureWebhooksPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	fc := h.figmaFor(ctx, p.MemberID)
	covered, err := h.coveredEvents(ctx, fc, p.FileKey)
	if err != nil {
		return h.webhookTrouble(ctx, p, err)
	}
	endpoint := h.Config.HTTP.PublicURL + "/figma/webhook"
	for _, ev := range WebhookEvents {
		if covered[ev] {
			continue
		}
		if err := h.createWebhook(ctx, fc, "file", p.FileKey, ev, endpoint); err != nil {
			return h.webhookTrouble(ctx, p, err)
		}
	}
	return nil
}

// coveredEvents lists the events already sent to this bot for the file.
func (h *Handlers) coveredEvents(ctx context.Context, fc *figma.Client, fileKey string) (
	map[string]bool, error) {
	endpoint := h.Config.HTTP.PublicURL + "/figma/webhook"
	contexts := []figma.WebhookContext{{Kind: "file", ID: fileKey}}
	if h.Config.Figma.TeamID != "" {
		contexts = append(contexts, figma.WebhookContext{Kind: "team", ID: h.Config.Figma.TeamID})
	}
	covered := map[string]bool{}
	for _, c := range contexts {
		hooks, err := fc.Webhooks(ctx, c)
		if err != nil {
			return nil, err
		}
		for _, w := range hooks {
			if w.Endpoint == endpoint && strings.EqualFold(w.Status, "ACTIVE") {
				covered[w.EventType] = true
			}
		}
	}
	return covered, nil
}

// createWebhook creates one hook with a fresh passcode and remembers the passcode, which Figma
// never shows again.
func (h *Handlers) createWebhook(ctx context.Context, fc *figma.Client, kind, id, event,
	endpoint string) error {
	pass := newPasscode()
	w, err := fc.CreateWebhook(ctx, figma.NewWebhook{EventType: event, Context: kind,
		ContextID: id, Endpoint: endpoint, Passcode: pass, Status: "ACTIVE",
		Description: "figbot"})
	if err != nil {
		return err
	}
	h.Log.WithFields(logrus.Fields{"file_key": id, "webhook_id": w.ID, "event": event}).
		Info("figma webhook created")
	return h.Store.SaveWebhook(ctx, store.Webhook{ID: w.ID, EventType: event, Context: kind,
		ContextID: id, Endpoint: endpoint, Passcode: pass})
}

// webhookTrouble tells the chat why notifications could not be set up when retrying cannot
// help (no permission, plan without webhooks, limit reached), and stops the task.
func (h *Handlers) webhookTrouble(ctx context.Context, p EnsureWebhooksPayload, err error) error {
	if _, limited := RateLimitWait(err); limited {
		return err
	}
	var text string
	lang := bot.Lang(p.Lang)
	switch {
	case errors.Is(err, figma.ErrBadRequest):
		text = bot.T(lang, "webhook_limit", bot.Quote(p.FileKey, 60))
	case errors.Is(err, figma.ErrNoAccess), errors.Is(err, figma.ErrMissingScope),
		errors.Is(err, figma.ErrInvalidToken), errors.Is(err, figma.ErrNotFound):
		text = bot.T(lang, "webhook_denied", bot.Quote(p.FileKey, 60),
			bot.Quote(errorWords(err), 200), bot.Quote(p.FileKey, 60))
	default:
		return err
	}
	h.Log.WithError(err).WithField("file_key", p.FileKey).Warn("figma webhook not created")
	if p.DialogID != "" {
		effect := "webhook_trouble:" + p.MemberID + ":" + p.DialogID + ":" + p.FileKey
		if rerr := h.replyOnce(ctx, p.MemberID, p.DialogID, effect, text); rerr != nil {
			return rerr
		}
	}
	return nil
}

// checkWebhooks looks at every webhook the bot created and re-creates one that Figma lost,
// paused, or that points at an old endpoint.
func (h *Handlers) checkWebhooks(ctx context.Context, t *asynq.Task) error {
	ids, err := h.Store.Webhooks(ctx)
	if err != nil {
		return err
	}
	endpoint := h.Config.HTTP.PublicURL + "/figma/webhook"
	for _, id := range ids {
		mine, err := h.Store.Webhook(ctx, id)
		if err != nil {
			continue
		}
		w, err := h.Figma.Webhook(ctx, id)
		healthy := err == nil && strings.EqualFold(w.Status, "ACTIVE") && w.Endpoint == endpoint
		if err != nil && !errors.Is(err, figma.ErrNotFound) {
			return err
		}
		if healthy {
			continue
		}
		if err == nil {
			derr := h.Figma.DeleteWebhook(ctx, id)
			if derr != nil && !errors.Is(derr, figma.ErrNotFound) {
				return derr
			}
		}
		if err := h.Store.DeleteWebhook(ctx, id); err != nil {
			return err
		}
		if err := h.createWebhook(ctx, h.Figma, mine.Context, mine.ContextID, mine.EventType,
			endpoint); err != nil {
			return err
		}
	}
	return nil
}

func newPasscode() string {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		panic("queue: no randomness: " + err.Error())
	}
	return hex.EncodeToString(b)
}
