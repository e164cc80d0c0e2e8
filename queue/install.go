package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/commands"
	"github.com/figbot/figbot/store"
)

// BotCode is the code figbot registers its bot under; an existing bot with it is reused.
const BotCode = "figma_bot"

// Task events figbot binds, and the user fields it creates.
var (
	boundEvents = []string{"ONTASKADD", "ONTASKUPDATE", "ONTASKCOMMENTADD", "ONAPPUNINSTALL"}
	userFields  = []string{"UF_FIGMA_URL", "UF_FIGMA_PREVIEW"}
)

// install checks a new install's token with one app.info call, stores the portal, then runs
// the idempotent install steps. A re-install replaces the stored portal only once its token
// works, so a forged install cannot take a portal over.
func (h *Handlers) install(ctx context.Context, t *asynq.Task) error {
	var p InstallPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	log := h.Log.WithField("member_id", p.MemberID)
	fresh, err := h.Store.PendingInstall(ctx, p.MemberID, p.PendingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // handled already
	}
	if err != nil {
		return err
	}
	if err := h.checkToken(ctx, fresh); err != nil {
		log.WithError(err).Warn("install refused: its token does not work")
		_ = h.Store.DropPendingInstall(ctx, p.MemberID, p.PendingID)
		return fmt.Errorf("queue: install token check: %w: %w", err, asynq.SkipRetry)
	}
	if old, err := h.Store.Portal(ctx, p.MemberID); err == nil {
		fresh.BotID, fresh.Commands = old.BotID, old.Commands
		if fresh.Language == "" {
			fresh.Language = old.Language
		}
	}
	fresh.InstalledAt = time.Now().UTC()
	if err := h.Store.SavePortal(ctx, fresh); err != nil {
		return err
	}
	if err := h.Store.DropPendingInstall(ctx, p.MemberID, p.PendingID); err != nil {
		return err
	}
	// fresh tokens: a later invalid_grant must be reported again
	if err := h.Store.Unmark(ctx, "invalid_grant:"+p.MemberID); err != nil {
		return err
	}
	// The set-up steps run as their own task: a rate limit or an outage there retries them
	// without asking for the (already used) install again.
	setup := SetupPayload{MemberID: p.MemberID}
	if _, err := h.Jobs.Add(ctx, TypeSetup, setup, p.MemberID+":"+p.PendingID); err != nil {
		return err
	}
	log.WithField("domain", fresh.Domain).Info("portal installed")
	return nil
}

// setupPortal runs the idempotent install steps for a stored portal.
func (h *Handlers) setupPortal(ctx context.Context, t *asynq.Task) error {
	var p SetupPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	portal, err := h.portal(ctx, p.MemberID)
	if err != nil {
		return err
	}
	if err := h.setUp(ctx, portal); err != nil {
		return err
	}
	h.Log.WithField("member_id", p.MemberID).Info("portal set up")
	return nil
}

// checkToken calls app.info with the install's own token at its (allowed) endpoint.
func (h *Handlers) checkToken(ctx context.Context, p store.Portal) error {
	src := staticCredentials{b24.Credentials{MemberID: p.MemberID, Domain: p.Domain,
		ClientEndpoint: p.ClientEndpoint, AccessToken: p.AccessToken,
		RefreshToken: p.RefreshToken, Expires: p.Expires}}
	client := b24.NewClient(src, h.B24Opts...)
	_, err := client.AppInfo(ctx, p.MemberID)
	return err
}

// staticCredentials serves one set of credentials and never refreshes them.
type staticCredentials struct{ c b24.Credentials }

func (s staticCredentials) Credentials(context.Context, string) (b24.Credentials, error) {
	return s.c, nil
}

func (s staticCredentials) Refresh(context.Context, string, b24.Credentials) (b24.Credentials,
	error) {
	return b24.Credentials{}, b24.ErrTokenExpired
}

func (s staticCredentials) EndpointMoved(context.Context, string, string) error { return nil }

// setUp runs the install steps, reading what exists first in one batch so that a re-install
// registers nothing twice: bot, commands, event bindings, the widget and the task fields.
func (h *Handlers) setUp(ctx context.Context, p store.Portal) error {
	member := p.MemberID
	state, err := h.B24.Batch(ctx, member, []b24.BatchCommand{
		{Key: "bots", Method: "imbot.bot.list"},
		{Key: "events", Method: "event.get"},
		{Key: "placements", Method: "placement.get"},
		{Key: "fields", Method: "task.item.userfield.getlist",
			Params: b24.Ordered{{Key: "ORDER", Value: map[string]string{"ID": "ASC"}},
				{Key: "FILTER", Value: map[string]string{}}}},
	}, false)
	if err != nil {
		return err
	}
	botID, err := h.ensureBot(ctx, member, state.Results["bots"])
	if err != nil {
		return err
	}
	var todo []b24.BatchCommand
	todo = append(todo, h.commandSteps(p, botID)...)
	todo = append(todo, h.bindSteps(state.Results["events"], state.Results["placements"])...)
	todo = append(todo, fieldSteps(state.Results["fields"])...)
	if len(todo) == 0 {
		return nil
	}
	res, err := h.B24.Batch(ctx, member, todo, false)
	if err != nil {
		return err
	}
	return h.recordSetUp(ctx, member, todo, res)
}

// ensureBot finds the bot by code in imbot.bot.list, or registers it.
func (h *Handlers) ensureBot(ctx context.Context, member string, list json.RawMessage) (string,
	error) {
	var bots map[string]struct {
		ID   any    `json:"ID"`
		Code string `json:"CODE"`
	}
	_ = json.Unmarshal(list, &bots)
	for id, b := range bots {
		if b.Code == BotCode {
			return id, h.Store.UpdatePortalFields(ctx, member, store.PortalFields{BotID: id})
		}
	}
	id, err := h.B24.RegisterBot(ctx, member, b24.BotRegistration{
		Code: BotCode, Type: "B", EventHandler: h.Config.HTTP.PublicURL + "/b24/events",
		Properties: b24.BotProperties{Name: "figbot", Color: "PURPLE",
			WorkPosition: "Figma integration"},
	})
	if err != nil {
		return "", err
	}
	return id, h.Store.UpdatePortalFields(ctx, member, store.PortalFields{BotID: id})
}

// commandSteps registers the commands the portal does not have yet, in English and Russian.
func (h *Handlers) commandSteps(p store.Portal, botID string) []b24.BatchCommand {
	var out []b24.BatchCommand
	for _, name := range commands.Names {
		if p.Commands[name] != "" && p.BotID == botID {
			continue
		}
		out = append(out, b24.BatchCommand{Key: "cmd_" + name, Method: "imbot.command.register",
			Params: b24.Ordered{
				{Key: "BOT_ID", Value: botID}, {Key: "COMMAND", Value: name},
				{Key: "COMMON", Value: "N"}, {Key: "HIDDEN", Value: "N"},
				{Key: "EXTRANET_SUPPORT", Value: "N"},
				{Key: "EVENT_COMMAND_ADD", Value: h.Config.HTTP.PublicURL + "/b24/events"},
				{Key: "LANG", Value: commandLangs(name)},
			}})
	}
	return out
}

// bindSteps binds the task events and the widget unless already bound to this bot's URLs.
func (h *Handlers) bindSteps(events, placements json.RawMessage) []b24.BatchCommand {
	handler := h.Config.HTTP.PublicURL + "/b24/events"
	var bound []struct{ Event, Handler string }
	_ = json.Unmarshal(events, &bound)
	have := map[string]bool{}
	for _, b := range bound {
		if b.Handler == handler {
			have[upper(b.Event)] = true
		}
	}
	var out []b24.BatchCommand
	for _, ev := range boundEvents {
		if have[ev] {
			continue
		}
		out = append(out, b24.BatchCommand{Key: "bind_" + ev, Method: "event.bind",
			Params: b24.Ordered{{Key: "event", Value: ev}, {Key: "handler", Value: handler}}})
	}
	widget := h.Config.HTTP.PublicURL + "/b24/placement/task"
	var places []struct {
		Placement string `json:"placement"`
		Handler   string `json:"handler"`
	}
	_ = json.Unmarshal(placements, &places)
	for _, pl := range places {
		if upper(pl.Placement) == "TASK_VIEW_TAB" && pl.Handler == widget {
			return out
		}
	}
	return append(out, b24.BatchCommand{Key: "placement", Method: "placement.bind",
		Params: b24.Ordered{{Key: "PLACEMENT", Value: "TASK_VIEW_TAB"},
			{Key: "HANDLER", Value: widget}, {Key: "TITLE", Value: "Figma"},
			{Key: "LANG_ALL", Value: map[string]map[string]string{
				"en": {"TITLE": "Figma"}, "ru": {"TITLE": "Figma"}}}}})
}

// fieldSteps creates the task fields that task.item.userfield.getlist did not list.
func fieldSteps(list json.RawMessage) []b24.BatchCommand {
	var fields []struct {
		FieldName string `json:"FIELD_NAME"`
	}
	_ = json.Unmarshal(list, &fields)
	have := map[string]bool{}
	for _, f := range fields {
		have[upper(f.FieldName)] = true
	}
	var out []b24.BatchCommand
	for _, name := range userFields {
		if have[name] {
			continue
		}
		out = append(out, b24.BatchCommand{Key: "field_" + name, Method: "task.item.userfield.add",
			Params: b24.Ordered{{Key: "PARAMS", Value: b24.Ordered{
				{Key: "USER_TYPE_ID", Value: "string"}, {Key: "FIELD_NAME", Value: name},
				{Key: "XML_ID", Value: name}, {Key: "LABEL", Value: fieldLabel(name)},
			}}}})
	}
	return out
}

// recordSetUp stores the new command ids; "already exists" answers count as success.
func (h *Handlers) recordSetUp(ctx context.Context, member string, todo []b24.BatchCommand,
	res b24.BatchResult) error {
	cmds := map[string]string{}
	var failed []string
	for _, c := range todo {
		if apiErr := res.Errors[c.Key]; apiErr != nil && !errors.Is(apiErr, b24.ErrAlreadyExists) {
			failed = append(failed, c.Key+": "+apiErr.Error())
			continue
		}
		if name, ok := strings.CutPrefix(c.Key, "cmd_"); ok {
			var id any
			_ = json.Unmarshal(res.Results[c.Key], &id)
			cmds[name] = fmt.Sprint(id)
		}
	}
	err := h.Store.UpdatePortalFields(ctx, member, store.PortalFields{Commands: cmds})
	if err != nil {
		return err
	}
	if len(failed) > 0 {
		h.Log.WithFields(logrus.Fields{"member_id": member, "failed": failed}).
			Warn("some install steps failed; they run again at the next install")
	}
	return nil
}

// uninstall removes the portal's tokens and links; its queued tasks find no portal and stop.
func (h *Handlers) uninstall(ctx context.Context, t *asynq.Task) error {
	var p UninstallPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	if err := h.Store.DeletePortal(ctx, p.MemberID); err != nil {
		return err
	}
	h.Log.WithField("member_id", p.MemberID).Info("portal uninstalled; its data is deleted")
	return nil
}

func commandLangs(name string) []b24.CommandLang {
	titles := map[string][2]string{
		"link":      {"Link a Figma file or frame", "Привязать файл или фрейм Figma"},
		"unlink":    {"Remove Figma links", "Удалить ссылки на Figma"},
		"links":     {"List Figma links", "Список ссылок на Figma"},
		"review":    {"Start a design review", "Начать ревью макета"},
		"preview":   {"Post a frame preview", "Показать превью фрейма"},
		"subscribe": {"Choose Figma notifications", "Выбрать уведомления Figma"},
		"status":    {"What figbot can reach", "Состояние figbot"},
		"help":      {"figbot commands", "Команды figbot"},
	}
	params := map[string]string{"link": "url", "unlink": "[url]", "review": "task id | url",
		"preview": "url", "subscribe": "comments,versions,updates,..."}
	t := titles[name]
	return []b24.CommandLang{
		{LanguageID: "en", Title: t[0], Params: params[name]},
		{LanguageID: "ru", Title: t[1], Params: params[name]},
	}
}

// upper normalises a name B24 may send in any case ("onTaskAdd", "ONTASKADD").
func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func fieldLabel(name string) string {
	if name == "UF_FIGMA_URL" {
		return "Figma link"
	}
	return "Figma preview"
}
