package b24fake

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	maxBots       = 5         // per app (imbot-register.md)
	maxAttachSize = 30 * 1024 // ATTACH and KEYBOARD, per imbot-message-add.md
)

// imbotRegister: CODE, EVENT_HANDLER (or EVENT_MESSAGE_ADD), PROPERTIES{NAME|LAST_NAME}; answers
// the new bot id as a number. The fake's choice for an existing CODE is the documented
// WRONG_REQUEST "Bot can't be created": the bot must look its bot up with imbot.bot.list.
func imbotRegister(s *state, c *call) (any, *apiError) {
	code := c.params.String("CODE")
	if code == "" {
		return nil, badRequest("CODE_ERROR", "Bot code isn't specified")
	}

	handler := firstNonEmpty(c.params.String("EVENT_HANDLER"),
		c.params.String("EVENT_MESSAGE_ADD"))
	if err := checkHandler(handler, "EVENT_MESSAGE_ADD_ERROR", "Message add"); err != nil {
		return nil, err
	}

	name := firstNonEmpty(c.params.String("PROPERTIES", "NAME"),
		c.params.String("PROPERTIES", "LAST_NAME"))
	if name == "" {
		return nil, badRequest("NAME_ERROR", "Bot name isn't specified")
	}

	return s.addBot(code, name, handler)
}

func (s *state) addBot(code, name, handler string) (any, *apiError) {
	for _, b := range s.bots {
		if strings.EqualFold(b.Code, code) {
			return nil, badRequest("WRONG_REQUEST", "Bot can't be created")
		}
	}

	if len(s.bots) >= maxBots {
		return nil, badRequest("MAX_COUNT_ERROR",
			"Has reached the maximum number of bots for application (max: 5)")
	}

	b := &Bot{ID: s.nextID(), Code: code, Name: name, EventHandler: handler}
	s.bots = append(s.bots, b)
	s.users[b.ID] = User{ID: b.ID, Name: name, FirstName: name}
	return num(b.ID), nil
}

func checkHandler(handler, code, event string) *apiError {
	if handler == "" {
		return badRequest(code, `Handler for "`+event+`" event isn't specified`)
	}

	u, err := url.Parse(handler)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return badRequest(code, "Wrong handler URL")
	}

	return nil
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// imbotBotList answers an object keyed by bot id, or [] when there is none (PHP encodes an
// empty array as a list).
func imbotBotList(s *state, _ *call) (any, *apiError) {
	if len(s.bots) == 0 {
		return []any{}, nil
	}

	out := map[string]any{}
	for _, b := range s.bots {
		out[b.ID] = map[string]any{"ID": num(b.ID), "NAME": b.Name, "CODE": b.Code,
			"OPENLINE": "N"}
	}

	return out, nil
}

func (s *state) bot(id string) *Bot {
	for _, b := range s.bots {
		if b.ID == id {
			return b
		}
	}
	return nil
}

// botFor finds the bot named by BOT_ID, or the app's first bot when BOT_ID is empty.
func (s *state) botFor(id string) (*Bot, *apiError) {
	if id == "" && len(s.bots) > 0 {
		return s.bots[0], nil
	}

	if b := s.bot(id); b != nil {
		return b, nil
	}

	return nil, badRequest("BOT_ID_ERROR", "Bot not found")
}

// imbotCommandRegister answers the command id. Registering a command the bot has already is
// not described by the docs; the fake answers the existing id, so that re-installs work.
func imbotCommandRegister(s *state, c *call) (any, *apiError) {
	b := s.bot(c.params.String("BOT_ID"))
	if b == nil {
		return nil, badRequest("BOT_ID_ERROR", "Bot not found")
	}

	name := strings.TrimPrefix(c.params.String("COMMAND"), "/")
	if name == "" {
		return nil, badRequest("COMMAND_ERROR", "Command isn't specified")
	}

	handler := c.params.String("EVENT_COMMAND_ADD")
	if err := checkHandler(handler, "EVENT_COMMAND_ADD_ERROR", "Command add"); err != nil {
		return nil, err
	}

	if len(c.params.List("LANG")) == 0 {
		return nil, badRequest("LANG_ERROR", "Lang set can't be empty")
	}

	return num(s.addCommand(b.ID, name, handler)), nil
}

func (s *state) addCommand(botID, name, handler string) string {
	for _, cmd := range s.commands {
		if cmd.BotID == botID && strings.EqualFold(cmd.Command, name) {
			return cmd.ID
		}
	}

	cmd := &command{ID: s.nextID(), BotID: botID, Command: name, Handler: handler}
	s.commands = append(s.commands, cmd)
	return cmd.ID
}

// imbotMessageAdd posts as the bot: DIALOG_ID and MESSAGE (or ATTACH) are required, and in a
// group chat the bot must be a member (403 ACCESS_DENIED otherwise; the text is the fake's).
func imbotMessageAdd(s *state, c *call) (any, *apiError) {
	b, err := s.botFor(c.params.String("BOT_ID"))
	if err != nil {
		return nil, err
	}

	dialog := c.params.String("DIALOG_ID")
	if dialog == "" {
		return nil, badRequest("DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	}

	m, err := messageFromParams(c)
	if err != nil {
		return nil, err
	}

	if err := s.canPost(b.ID, dialog); err != nil {
		return nil, err
	}

	m.BotID, m.AuthorID, m.Method = b.ID, b.ID, c.method
	return num(s.post(dialog, m)), nil
}

func messageFromParams(c *call) (*Message, *apiError) {
	text := strings.TrimSpace(c.params.String("MESSAGE"))
	attach, _ := c.params.Get("ATTACH")
	keyboard, _ := c.params.Get("KEYBOARD")
	if text == "" && attach == nil {
		return nil, badRequest("MESSAGE_EMPTY", "Message can't be empty")
	}

	if jsonSize(attach) > maxAttachSize {
		return nil, badRequest("ATTACH_OVERSIZE",
			"You have exceeded the maximum allowable size of attach")
	}

	if jsonSize(keyboard) > maxAttachSize {
		return nil, badRequest("KEYBOARD_OVERSIZE",
			"You have exceeded the maximum allowable size of keyboard")
	}

	return &Message{Text: text, Attach: attach, Keyboard: keyboard,
		System:     yes(c.params.String("SYSTEM")),
		URLPreview: c.params.String("URL_PREVIEW") != "N",
		ReplyID:    c.params.String("REPLY_ID")}, nil
}

func jsonSize(v any) int {
	if v == nil {
		return 0
	}

	data, _ := json.Marshal(v)
	return len(data)
}

func yes(s string) bool {
	switch strings.ToUpper(s) {
	case "Y", "1", "TRUE":
		return true
	}
	return false
}

// canPost checks that the bot may post in dialog: a user id (a private chat) or a chat it is a
// member of.
func (s *state) canPost(botID, dialog string) *apiError {
	chatID, ok := strings.CutPrefix(dialog, "chat")
	if !ok {
		if _, isNum := num(dialog).(int64); isNum {
			return nil
		}
		return badRequest("DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	}

	chat := s.chats[chatID]
	if chat == nil || !slices.Contains(chat.Members, botID) {
		return &apiError{status: 403, code: "ACCESS_DENIED",
			desc: "The bot is not a member of this chat"}
	}

	return nil
}

// post stores a message in a dialog and returns its id.
func (s *state) post(dialog string, m *Message) string {
	m.ID = s.nextID()
	m.DialogID = dialog
	m.ChatID = s.chatIDOf(dialog, m.AuthorID)
	m.At = time.Now()
	s.history[dialog] = append(s.history[dialog], m)
	s.messageDialog[m.ID] = dialog
	return m.ID
}

// chatIDOf is the chat id behind a dialog; a private dialog gets one chat per user.
func (s *state) chatIDOf(dialog, authorID string) string {
	if id, ok := strings.CutPrefix(dialog, "chat"); ok {
		return id
	}

	user := dialog
	if s.bot(dialog) != nil {
		user = authorID
	}

	if id, ok := s.privateChats[user]; ok {
		return id
	}

	id := s.nextID()
	s.privateChats[user] = id
	return id
}

// imbotCommandAnswer answers in the dialog the command's message came from.
func imbotCommandAnswer(s *state, c *call) (any, *apiError) {
	cmd := s.findCommand(c.params.String("COMMAND_ID"), c.params.String("COMMAND"))
	if cmd == nil {
		return nil, badRequest("COMMAND_ID_ERROR", "Command not found")
	}

	msgID := c.params.String("MESSAGE_ID")
	if msgID == "" {
		return nil, badRequest("MESSAGE_ID_EMPTY", "Message ID can't be empty")
	}

	m, err := messageFromParams(c)
	if err != nil {
		return nil, err
	}

	dialog, ok := s.messageDialog[msgID]
	if !ok {
		return nil, badRequest("WRONG_REQUEST", "Message isn't added")
	}

	m.BotID, m.AuthorID, m.Method = cmd.BotID, cmd.BotID, c.method
	return num(s.post(dialog, m)), nil
}

func (s *state) findCommand(id, name string) *command {
	for _, cmd := range s.commands {
		if (id != "" && cmd.ID == id) || (id == "" && strings.EqualFold(cmd.Command, name)) {
			return cmd
		}
	}
	return nil
}

// imbotChatUserAdd adds USERS (such as the bot itself) to CHAT_ID.
func imbotChatUserAdd(s *state, c *call) (any, *apiError) {
	chatID := c.params.String("CHAT_ID")
	if chatID == "" {
		return nil, badRequest("CHAT_ID_EMPTY", "Chat ID can't be empty")
	}

	if _, err := s.botFor(c.params.String("BOT_ID")); err != nil {
		return nil, err
	}

	users := stringList(c, "USERS")
	if len(users) == 0 {
		return nil, badRequest("WRONG_REQUEST", "User IDs must be passed in array format")
	}

	chat := s.chats[chatID]
	if chat == nil {
		return nil, &apiError{status: 403, code: "ACCESS_ERROR", desc: "Action unavailable"}
	}

	return s.addMembers(chat, users)
}

func (s *state) addMembers(chat *Chat, users []string) (any, *apiError) {
	added := false
	for _, u := range users {
		if !slices.Contains(chat.Members, u) {
			chat.Members = append(chat.Members, u)
			added = true
		}
	}

	if !added {
		return nil, badRequest("WRONG_REQUEST",
			"You don't have access or user already member in chat")
	}

	return true, nil
}

// stringList reads a list parameter sent as a JSON array, a[]=x or a[0]=x, or a single value.
func stringList(c *call, name string) []string {
	var out []string
	for _, item := range c.params.List(name) {
		if s, ok := item.(string); ok && s != "" {
			out = append(out, s)
		}
	}

	if out == nil && c.params.String(name) != "" {
		out = []string{c.params.String(name)}
	}

	return out
}

// imChatGet answers {"ID": n} for the chat bound to ENTITY_TYPE/ENTITY_ID, or null.
func imChatGet(s *state, c *call) (any, *apiError) {
	et, eid := c.params.String("ENTITY_TYPE"), c.params.String("ENTITY_ID")
	if et == "" {
		return nil, argumentError("ENTITY_TYPE")
	}

	if eid == "" {
		return nil, argumentError("ENTITY_ID")
	}

	for _, chat := range s.chats {
		if strings.EqualFold(chat.EntityType, et) && chat.EntityID == eid {
			return map[string]any{"ID": num(chat.ID)}, nil
		}
	}

	return nil, nil
}
