package b24

import (
	"context"
	"encoding/json"
	"fmt"
)

// The classic bot API (imbot.*) is deprecated in favour of imbot.v2 but works on every cloud and
// on-premise portal; the bot uses it on purpose (CONTRACT.md, "Calls the bot makes").

// BotProperties are the bot's profile fields; Name or LastName is required.
type BotProperties struct {
	Name         string `json:"NAME,omitempty"`
	LastName     string `json:"LAST_NAME,omitempty"`
	Color        string `json:"COLOR,omitempty"`
	Email        string `json:"EMAIL,omitempty"`
	WorkPosition string `json:"WORK_POSITION,omitempty"`
	PersonalWWW  string `json:"PERSONAL_WWW,omitempty"`
	Photo        string `json:"PERSONAL_PHOTO,omitempty"` // base64 image
}

// BotRegistration is the request of imbot.register.
type BotRegistration struct {
	Code         string        `json:"CODE"`
	Type         string        `json:"TYPE,omitempty"` // B (default), O, H or S
	EventHandler string        `json:"EVENT_HANDLER"`  // copied to every EVENT_* handler
	Properties   BotProperties `json:"PROPERTIES"`
}

// RegisterBot registers a chat bot and returns its id. A code already used on the portal is an
// error (WRONG_REQUEST "Bot can't be created"); look the bot up with BotList first.
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/bots/imbot-register.html
func (c *Client) RegisterBot(ctx context.Context, memberID string,
	r BotRegistration) (string, error) {
	var id flexString
	err := c.Call(ctx, memberID, "imbot.register", r, &id)
	return string(id), err
}

// Bot is one entry of imbot.bot.list.
type Bot struct {
	ID   string
	Code string
	Name string
}

type botWire struct {
	ID   flexString `json:"ID"`
	Code string     `json:"CODE"`
	Name string     `json:"NAME"`
}

// BotList returns the app's bots keyed by bot id.
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/bots/imbot-bot-list.html
func (c *Client) BotList(ctx context.Context, memberID string) (map[string]Bot, error) {
	var raw json.RawMessage
	if err := c.Call(ctx, memberID, "imbot.bot.list", nil, &raw); err != nil {
		return nil, err
	}

	items, err := keyedRaw(raw)
	if err != nil {
		return nil, fmt.Errorf("b24: imbot.bot.list: decode result: %w", err)
	}

	bots := make(map[string]Bot, len(items))
	for key, item := range items {
		var w botWire
		if err := json.Unmarshal(item, &w); err != nil {
			return nil, fmt.Errorf("b24: imbot.bot.list: decode bot: %w", err)
		}

		b := Bot{ID: string(w.ID), Code: w.Code, Name: w.Name}
		if b.ID == "" {
			b.ID = key
		}
		bots[b.ID] = b
	}

	return bots, nil
}

// CommandLang is a command's title and parameter hint in one language.
type CommandLang struct {
	LanguageID string `json:"LANGUAGE_ID"`
	Title      string `json:"TITLE"`
	Params     string `json:"PARAMS,omitempty"`
}

// CommandRegistration is the request of imbot.command.register.
type CommandRegistration struct {
	BotID           string
	Command         string // without the slash
	EventCommandAdd string // handler URL
	Common          bool   // usable in every chat, not only where the bot is
	Hidden          bool
	ExtranetSupport bool
	Lang            []CommandLang
}

// RegisterCommand registers a bot command and returns its id.
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/commands/imbot-command-register.html
func (c *Client) RegisterCommand(ctx context.Context, memberID string,
	r CommandRegistration) (string, error) {
	params := Ordered{
		{"BOT_ID", r.BotID},
		{"COMMAND", r.Command},
		{"COMMON", yn(r.Common)},
		{"HIDDEN", yn(r.Hidden)},
		{"EXTRANET_SUPPORT", yn(r.ExtranetSupport)},
		{"LANG", r.Lang},
		{"EVENT_COMMAND_ADD", r.EventCommandAdd},
	}

	var id flexString
	err := c.Call(ctx, memberID, "imbot.command.register", params, &id)
	return string(id), err
}

func yn(b bool) string {
	if b {
		return "Y"
	}
	return "N"
}

// Message is a bot message for imbot.message.add.
type Message struct {
	BotID      string // "" means the app's first bot
	DialogID   string // "chat<ID>" or a user id
	Message    string // required unless Attach is set
	Attach     any
	Keyboard   any
	System     bool
	URLPreview bool // the zero value turns link previews off
	ReplyID    string
}

type messageWire struct {
	BotID      string `json:"BOT_ID,omitempty"`
	DialogID   string `json:"DIALOG_ID"`
	Message    string `json:"MESSAGE,omitempty"`
	Attach     any    `json:"ATTACH,omitempty"`
	Keyboard   any    `json:"KEYBOARD,omitempty"`
	System     string `json:"SYSTEM"`
	URLPreview string `json:"URL_PREVIEW"`
	ReplyID    string `json:"REPLY_ID,omitempty"`
}

// MessageAdd posts a message as the bot and returns the message id. The bot must be a member of
// the chat (see ChatUserAdd).
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/messages/imbot-message-add.html
func (c *Client) MessageAdd(ctx context.Context, memberID string, m Message) (string, error) {
	w := messageWire{
		BotID: m.BotID, DialogID: m.DialogID, Message: m.Message,
		Attach: m.Attach, Keyboard: m.Keyboard,
		System: yn(m.System), URLPreview: yn(m.URLPreview), ReplyID: m.ReplyID,
	}

	var id flexString
	err := c.Call(ctx, memberID, "imbot.message.add", w, &id)
	return string(id), err
}

// CommandReply is the request of imbot.command.answer.
type CommandReply struct {
	CommandID  string // or Command
	Command    string
	MessageID  string // the command's MESSAGE_ID from the event
	Message    string
	Attach     any
	Keyboard   any
	System     bool
	URLPreview bool
}

type commandAnswerWire struct {
	CommandID  string `json:"COMMAND_ID,omitempty"`
	Command    string `json:"COMMAND,omitempty"`
	MessageID  string `json:"MESSAGE_ID"`
	Message    string `json:"MESSAGE,omitempty"`
	Attach     any    `json:"ATTACH,omitempty"`
	Keyboard   any    `json:"KEYBOARD,omitempty"`
	System     string `json:"SYSTEM"`
	URLPreview string `json:"URL_PREVIEW"`
}

// CommandAnswer answers a command in the chat it came from and returns the message id.
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/commands/imbot-command-answer.html
func (c *Client) CommandAnswer(ctx context.Context, memberID string,
	a CommandReply) (string, error) {
	w := commandAnswerWire{
		CommandID: a.CommandID, Command: a.Command, MessageID: a.MessageID,
		Message: a.Message, Attach: a.Attach, Keyboard: a.Keyboard,
		System: yn(a.System), URLPreview: yn(a.URLPreview),
	}

	var id flexString
	err := c.Call(ctx, memberID, "imbot.command.answer", w, &id)
	return string(id), err
}

// ChatUserAdd adds users (the bot itself, to post in a task chat) to a chat on behalf of the
// bot; botID "" means the app's first bot.
// https://apidocs.bitrix24.com/api-reference/chat-bots/outdated/chats/imbot-chat-user-add.html
func (c *Client) ChatUserAdd(ctx context.Context, memberID, botID, chatID string,
	userIDs []string) error {
	params := Ordered{{"CHAT_ID", chatID}, {"USERS", userIDs}}
	if botID != "" {
		params = append(params, KV{"BOT_ID", botID})
	}

	return c.Call(ctx, memberID, "imbot.chat.user.add", params, nil)
}

// ChatGet returns the id of the chat bound to an entity (ENTITY_TYPE SONET_GROUP for a
// project chat, TASKS_TASK for a new-card task chat). It wraps ErrNotFound when there is none.
// https://apidocs.bitrix24.com/api-reference/chats/im-chat-get.html
func (c *Client) ChatGet(ctx context.Context, memberID, entityType,
	entityID string) (string, error) {
	params := Ordered{{"ENTITY_TYPE", entityType}, {"ENTITY_ID", entityID}}
	var res *struct {
		ID flexString `json:"ID"`
	}
	if err := c.Call(ctx, memberID, "im.chat.get", params, &res); err != nil {
		return "", err
	}

	if res == nil || res.ID == "" {
		return "", fmt.Errorf("b24: im.chat.get %s %s: %w", entityType, entityID, ErrNotFound)
	}

	return string(res.ID), nil
}
