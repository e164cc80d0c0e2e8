package b24

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadEvent is wrapped by ParseEvent errors: the body lacks what its event needs.
var ErrBadEvent = errors.New("b24: malformed event")

// Event is one B24 event delivery. Exactly one of the typed parts is set for the events the bot
// uses; an event of another kind has only Name, TS and Auth.
// https://apidocs.bitrix24.com/api-reference/events/index.html
type Event struct {
	Name string // upper-cased event name, e.g. "ONIMCOMMANDADD"
	TS   string // unix time the B24 queue sent it
	Auth EventAuth

	Install     *InstallEvent     // ONAPPINSTALL
	Uninstall   *UninstallEvent   // ONAPPUNINSTALL
	Commands    *CommandEvent     // ONIMCOMMANDADD
	Message     *MessageEvent     // ONIMBOTMESSAGEADD
	Join        *JoinEvent        // ONIMBOTJOINCHAT
	BotDelete   *BotDeleteEvent   // ONIMBOTDELETE
	Task        *TaskEvent        // ONTASKADD, ONTASKUPDATE, ONTASKDELETE
	TaskComment *TaskCommentEvent // ONTASKCOMMENTADD, ONTASKCOMMENTUPDATE, ONTASKCOMMENTDELETE
}

// EventAuth is the auth part of an event. Tokens in it belong to the user whose action fired
// the event and are absent when a robot did it; only ONAPPINSTALL's are the app's to keep.
type EventAuth struct {
	MemberID         string
	Domain           string
	ClientEndpoint   string
	ServerEndpoint   string
	ApplicationToken string
	AccessToken      string
	RefreshToken     string
	ExpiresIn        string
	Expires          string // unix time, sent by some events
	Scope            []string
	Status           string
	UserID           string
}

// InstallEvent is the data of ONAPPINSTALL.
type InstallEvent struct {
	LanguageID string
	Version    string
	Active     string // "Y" or "N"
	Installed  string // "Y" or "N"
}

// UninstallEvent is the data of ONAPPUNINSTALL.
type UninstallEvent struct {
	Clean bool // the admin asked to delete the app's data
}

// CommandEvent is the data of ONIMCOMMANDADD. One message can carry several commands.
type CommandEvent struct {
	Commands []Command
	Message  MessageParams
	User     User
}

// Command is one bot command in an ONIMCOMMANDADD event.
type Command struct {
	ID        string
	BotID     string
	BotCode   string
	Command   string // without the slash
	Params    string
	Context   string // TEXTAREA, KEYBOARD or MENU
	MessageID string
}

// MessageEvent is the data of ONIMBOTMESSAGEADD.
type MessageEvent struct {
	BotIDs  []string
	Message MessageParams
	User    User
}

// JoinEvent is the data of ONIMBOTJOINCHAT.
type JoinEvent struct {
	BotID          string
	DialogID       string
	ChatID         string
	ChatType       string
	ChatEntityType string
	ChatEntityID   string
	UserID         string
	Language       string
	User           User
}

// BotDeleteEvent is the data of ONIMBOTDELETE.
type BotDeleteEvent struct {
	BotID   string
	BotCode string
}

// TaskEvent is the data of ONTASKADD, ONTASKUPDATE and ONTASKDELETE: only the task id is sent.
type TaskEvent struct {
	TaskID string
}

// TaskCommentEvent is the data of the task comment events. In the new task card CommentID is
// "0" and MessageID names the message in the task chat.
// https://apidocs.bitrix24.com/api-reference/tasks/comment-item/events-comment/on-task-comment-add.html
type TaskCommentEvent struct {
	TaskID    string
	CommentID string
	MessageID string
}

// MessageParams is data[PARAMS] of the chat bot events.
type MessageParams struct {
	DialogID        string
	ChatID          string // CHAT_ID, else TO_CHAT_ID (private chats send only the latter)
	MessageID       string
	FromUserID      string
	AuthorID        string
	Message         string
	MessageOriginal string
	ChatType        string
	MessageType     string
	ChatTitle       string
	ChatEntityType  string
	ChatEntityID    string
	Language        string
}

// User is data[USER] of the chat bot events.
type User struct {
	ID        string
	Name      string
	FirstName string
	LastName  string
}

type dataParser func(e *Event, data Values) error

var dataParsers = map[string]dataParser{
	"ONAPPINSTALL":        parseInstall,
	"ONAPPUNINSTALL":      parseUninstall,
	"ONIMCOMMANDADD":      parseCommands,
	"ONIMBOTMESSAGEADD":   parseMessage,
	"ONIMBOTJOINCHAT":     parseJoin,
	"ONIMBOTDELETE":       parseBotDelete,
	"ONTASKADD":           parseTask,
	"ONTASKUPDATE":        parseTask,
	"ONTASKDELETE":        parseTask,
	"ONTASKCOMMENTADD":    parseTaskComment,
	"ONTASKCOMMENTUPDATE": parseTaskComment,
	"ONTASKCOMMENTDELETE": parseTaskComment,
}

// ParseEvent builds the typed event from a parsed body. It does not check the
// application_token; that is the caller's job.
func ParseEvent(v Values) (Event, error) {
	e := Event{
		Name: strings.ToUpper(strings.TrimSpace(v.String("event"))),
		TS:   v.String("ts"),
		Auth: parseAuth(v.Map("auth")),
	}
	if e.Name == "" {
		return Event{}, fmt.Errorf("%w: no event name", ErrBadEvent)
	}

	if e.Auth.MemberID == "" {
		return Event{}, fmt.Errorf("%w: %s without auth[member_id]", ErrBadEvent, e.Name)
	}

	parse, ok := dataParsers[e.Name]
	if !ok {
		return e, nil
	}

	if err := parse(&e, v.Map("data")); err != nil {
		return Event{}, fmt.Errorf("%w: %s: %s", ErrBadEvent, e.Name, err.Error())
	}

	return e, nil
}

func parseAuth(a Values) EventAuth {
	return EventAuth{
		MemberID:         a.String("member_id"),
		Domain:           a.String("domain"),
		ClientEndpoint:   a.String("client_endpoint"),
		ServerEndpoint:   a.String("server_endpoint"),
		ApplicationToken: a.String("application_token"),
		AccessToken:      a.String("access_token"),
		RefreshToken:     a.String("refresh_token"),
		ExpiresIn:        a.String("expires_in"),
		Expires:          a.String("expires"),
		Scope:            splitScope(a.String("scope")),
		Status:           a.String("status"),
		UserID:           a.String("user_id"),
	}
}

// splitScope splits a scope list. The docs show it space-separated in ONAPPINSTALL and
// comma-separated elsewhere (b24-facts 1.4), so both separators are accepted.
func splitScope(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	if len(parts) == 0 {
		return nil
	}

	return parts
}

func parseInstall(e *Event, data Values) error {
	e.Install = &InstallEvent{
		LanguageID: data.String("LANGUAGE_ID"),
		Version:    data.String("VERSION"),
		Active:     data.String("ACTIVE"),
		Installed:  data.String("INSTALLED"),
	}
	return nil
}

func parseUninstall(e *Event, data Values) error {
	switch strings.ToUpper(data.String("CLEAN")) {
	case "1", "Y", "TRUE":
		e.Uninstall = &UninstallEvent{Clean: true}
	default:
		e.Uninstall = &UninstallEvent{}
	}
	return nil
}

func parseCommands(e *Event, data Values) error {
	ce := &CommandEvent{
		Message: parseMessageParams(data.Map("PARAMS")),
		User:    parseUser(data.Map("USER")),
	}
	for _, key := range data.Keys("COMMAND") {
		ce.Commands = append(ce.Commands, parseCommand(key, data.Map("COMMAND", key)))
	}

	if len(ce.Commands) == 0 {
		return errors.New("no data[COMMAND]")
	}

	e.Commands = ce
	return nil
}

func parseCommand(key string, c Values) Command {
	cmd := Command{
		ID:        c.String("COMMAND_ID"),
		BotID:     c.String("BOT_ID"),
		BotCode:   c.String("BOT_CODE"),
		Command:   c.String("COMMAND"),
		Params:    c.String("COMMAND_PARAMS"),
		Context:   c.String("COMMAND_CONTEXT"),
		MessageID: c.String("MESSAGE_ID"),
	}
	if cmd.ID == "" {
		cmd.ID = key
	}

	return cmd
}

func parseMessage(e *Event, data Values) error {
	me := &MessageEvent{
		BotIDs:  data.Keys("BOT"),
		Message: parseMessageParams(data.Map("PARAMS")),
		User:    parseUser(data.Map("USER")),
	}
	if me.Message.MessageID == "" {
		return errors.New("no data[PARAMS][MESSAGE_ID]")
	}

	if len(me.BotIDs) == 0 {
		me.BotIDs = nil
	}

	e.Message = me
	return nil
}

func parseJoin(e *Event, data Values) error {
	p := data.Map("PARAMS")
	je := &JoinEvent{
		BotID:          p.String("BOT_ID"),
		DialogID:       p.String("DIALOG_ID"),
		ChatID:         p.String("CHAT_ID"),
		ChatType:       p.String("CHAT_TYPE"),
		ChatEntityType: p.String("CHAT_ENTITY_TYPE"),
		ChatEntityID:   p.String("CHAT_ENTITY_ID"),
		UserID:         p.String("USER_ID"),
		Language:       p.String("LANGUAGE"),
		User:           parseUser(data.Map("USER")),
	}
	if je.DialogID == "" {
		return errors.New("no data[PARAMS][DIALOG_ID]")
	}

	e.Join = je
	return nil
}

func parseBotDelete(e *Event, data Values) error {
	bd := &BotDeleteEvent{BotID: data.String("BOT_ID"), BotCode: data.String("BOT_CODE")}
	if bd.BotID == "" {
		return errors.New("no data[BOT_ID]")
	}

	e.BotDelete = bd
	return nil
}

// parseTask reads the task id from FIELDS_AFTER, else FIELDS_BEFORE: ONTASKADD sends the word
// "undefined" as FIELDS_BEFORE, and ONTASKDELETE may do so for FIELDS_AFTER.
func parseTask(e *Event, data Values) error {
	id := data.String("FIELDS_AFTER", "ID")
	if id == "" {
		id = data.String("FIELDS_BEFORE", "ID")
	}

	if id == "" {
		return errors.New("no task ID in FIELDS_AFTER or FIELDS_BEFORE")
	}

	e.Task = &TaskEvent{TaskID: id}
	return nil
}

func parseTaskComment(e *Event, data Values) error {
	fields := data.Map("FIELDS_AFTER")
	if fields.String("TASK_ID") == "" {
		fields = data.Map("FIELDS_BEFORE")
	}

	tc := &TaskCommentEvent{
		TaskID:    fields.String("TASK_ID"),
		CommentID: fields.String("ID"),
		MessageID: fields.String("MESSAGE_ID"),
	}
	if tc.TaskID == "" {
		return errors.New("no TASK_ID in FIELDS_AFTER or FIELDS_BEFORE")
	}

	e.TaskComment = tc
	return nil
}

func parseMessageParams(p Values) MessageParams {
	mp := MessageParams{
		DialogID:        p.String("DIALOG_ID"),
		ChatID:          p.String("CHAT_ID"),
		MessageID:       p.String("MESSAGE_ID"),
		FromUserID:      p.String("FROM_USER_ID"),
		AuthorID:        p.String("AUTHOR_ID"),
		Message:         p.String("MESSAGE"),
		MessageOriginal: p.String("MESSAGE_ORIGINAL"),
		ChatType:        p.String("CHAT_TYPE"),
		MessageType:     p.String("MESSAGE_TYPE"),
		ChatTitle:       p.String("CHAT_TITLE"),
		ChatEntityType:  p.String("CHAT_ENTITY_TYPE"),
		ChatEntityID:    p.String("CHAT_ENTITY_ID"),
		Language:        p.String("LANGUAGE"),
	}
	if mp.ChatID == "" {
		mp.ChatID = p.String("TO_CHAT_ID")
	}

	return mp
}

func parseUser(u Values) User {
	return User{
		ID:        u.String("ID"),
		Name:      u.String("NAME"),
		FirstName: u.String("FIRST_NAME"),
		LastName:  u.String("LAST_NAME"),
	}
}

// DedupKey identifies one delivery: member_id, event, the object it is about and ts. B24 does
// not re-send events, but a proxy or a replay might; the bot drops a key it has seen.
func (e Event) DedupKey() string {
	return strings.Join([]string{e.Auth.MemberID, e.Name, e.objectID(), e.TS}, ":")
}

func (e Event) objectID() string {
	switch {
	case e.Commands != nil:
		return commandObject(e.Commands)
	case e.Message != nil:
		return e.Message.Message.MessageID
	case e.Task != nil:
		return e.Task.TaskID
	case e.TaskComment != nil:
		return taskCommentObject(e.TaskComment)
	case e.Join != nil:
		return e.Join.DialogID
	case e.BotDelete != nil:
		return e.BotDelete.BotID
	default:
		return ""
	}
}

func commandObject(ce *CommandEvent) string {
	if id := ce.Commands[0].MessageID; id != "" {
		return id
	}

	return ce.Message.MessageID
}

func taskCommentObject(tc *TaskCommentEvent) string {
	if tc.CommentID != "" && tc.CommentID != "0" {
		return tc.TaskID + "/c" + tc.CommentID
	}

	return tc.TaskID + "/m" + tc.MessageID
}
