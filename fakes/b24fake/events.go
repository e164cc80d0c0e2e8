package b24fake

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The builders below return event bodies as B24's queue posts them
// (application/x-www-form-urlencoded, PHP bracket keys; b24-facts 2). Each carries this
// portal's application_token and a fresh token pair of the acting user, valid on this portal.

// InstallEvent is the ONAPPINSTALL body, with a fresh administrator token pair (IssueTokens).
// publicHandlerURL is the app's install handler; the portal keeps it (InstallHandler).
func (p *Portal) InstallEvent(publicHandlerURL string) url.Values {
	v := url.Values{}
	p.with(func(s *state) {
		s.installHandler = publicHandlerURL
		v.Set("event", "ONAPPINSTALL")
		v.Set("data[VERSION]", "1")
		v.Set("data[ACTIVE]", "Y")
		v.Set("data[INSTALLED]", "Y")
		v.Set("data[LANGUAGE_ID]", "en")
		v.Set("ts", s.nextTS())
		s.setUserAuth(v, "auth", AdminID)
	})
	return v
}

// InstallHandler is the URL last given to InstallEvent.
func (p *Portal) InstallHandler() string {
	var h string
	p.with(func(s *state) { h = s.installHandler })
	return h
}

// UninstallEvent is the ONAPPUNINSTALL body: no tokens, only application_token.
func (p *Portal) UninstallEvent() url.Values {
	v := url.Values{}
	p.with(func(s *state) {
		v.Set("event", "ONAPPUNINSTALL")
		v.Set("data[LANGUAGE_ID]", "en")
		v.Set("data[CLEAN]", "0")
		v.Set("ts", s.nextTS())
		s.setPortalAuth(v, "auth")
	})
	return v
}

// CommandEvent is the ONIMCOMMANDADD body for a command registered with
// imbot.command.register, typed by userID in dialogID ("chat<ID>", or userID for the private
// chat with the bot). The message is added to the dialog, and a group chat is created if
// needed and gets the bot and the user as members, since B24 only sends commands from chats
// the bot is in. It returns nil when no bot registered command.
func (p *Portal) CommandEvent(dialogID, userID, command, params string) url.Values {
	var v url.Values
	p.with(func(s *state) {
		cmd := s.findCommand("", strings.TrimPrefix(command, "/"))
		if cmd == nil {
			return
		}

		text := strings.TrimSpace("/" + cmd.Command + " " + params)
		v = s.commandEvent(cmd, dialogID, userID, text, params)
	})
	return v
}

func (s *state) commandEvent(cmd *command, dialogID, userID, text, params string) url.Values {
	bot := s.bot(cmd.BotID)
	s.join(dialogID, userID, bot.ID)
	msgID := s.post(dialogID, &Message{AuthorID: userID, Text: text})

	v := url.Values{}
	v.Set("event", "ONIMCOMMANDADD")
	pfx := "data[COMMAND][" + cmd.ID + "]"
	s.setBotAuth(v, pfx, bot.ID)
	for k, val := range map[string]string{
		"BOT_ID": bot.ID, "BOT_CODE": bot.Code, "COMMAND": cmd.Command, "COMMAND_ID": cmd.ID,
		"COMMAND_PARAMS": params, "COMMAND_CONTEXT": "TEXTAREA", "MESSAGE_ID": msgID,
	} {
		v.Set(pfx+"["+k+"]", val)
	}

	s.setMessageParams(v, dialogID, userID, bot.ID, msgID, text)
	s.setUserData(v, userID)
	v.Set("ts", s.nextTS())
	s.setUserAuth(v, "auth", userID)
	return v
}

// MessageEvent is the ONIMBOTMESSAGEADD body for a message from userID to the first bot in
// dialogID; like CommandEvent it adds the message and the members. It returns nil when no bot
// is registered.
func (p *Portal) MessageEvent(dialogID, userID, text string) url.Values {
	var v url.Values
	p.with(func(s *state) {
		if len(s.bots) == 0 {
			return
		}

		bot := s.bots[0]
		s.join(dialogID, userID, bot.ID)
		msgID := s.post(dialogID, &Message{AuthorID: userID, Text: text})
		v = url.Values{}
		v.Set("event", "ONIMBOTMESSAGEADD")
		s.setBotData(v, bot)
		s.setMessageParams(v, dialogID, userID, bot.ID, msgID, text)
		v.Set("data[PARAMS][MESSAGE_ORIGINAL]", text)
		s.setUserData(v, userID)
		v.Set("ts", s.nextTS())
		s.setUserAuth(v, "auth", userID)
	})
	return v
}

// JoinEvent is the ONIMBOTJOINCHAT body: userID added the first bot to dialogID (the bot
// becomes a member). It returns nil when no bot is registered.
func (p *Portal) JoinEvent(dialogID, userID string) url.Values {
	var v url.Values
	p.with(func(s *state) {
		if len(s.bots) == 0 {
			return
		}

		bot := s.bots[0]
		s.join(dialogID, userID, bot.ID)
		v = url.Values{}
		v.Set("event", "ONIMBOTJOINCHAT")
		s.setBotData(v, bot)
		s.setJoinParams(v, dialogID, userID, bot.ID)
		s.setUserData(v, userID)
		v.Set("ts", s.nextTS())
		s.setUserAuth(v, "auth", userID)
	})
	return v
}

func (s *state) setJoinParams(v url.Values, dialogID, userID, botID string) {
	chatType, chat := s.dialogChat(dialogID)
	v.Set("data[PARAMS][CHAT_TYPE]", chatType)
	v.Set("data[PARAMS][MESSAGE_TYPE]", chatType)
	v.Set("data[PARAMS][BOT_ID]", botID)
	v.Set("data[PARAMS][USER_ID]", userID)
	v.Set("data[PARAMS][DIALOG_ID]", dialogID)
	v.Set("data[PARAMS][ACCESS_HISTORY]", "1")
	v.Set("data[PARAMS][LANGUAGE]", "en")
	if chat != nil {
		v.Set("data[PARAMS][CHAT_ID]", chat.ID)
		v.Set("data[PARAMS][CHAT_ENTITY_TYPE]", chat.EntityType)
		v.Set("data[PARAMS][CHAT_ENTITY_ID]", chat.EntityID)
	}
}

// TaskEvent is the body of ONTASKADD, ONTASKUPDATE or ONTASKDELETE (event in any case): only
// the task id, FIELDS_BEFORE "undefined" on add and FIELDS_AFTER "undefined" on delete.
func (p *Portal) TaskEvent(event, taskID string) url.Values {
	event = strings.ToUpper(event)
	v := url.Values{}
	p.with(func(s *state) {
		v.Set("event", event)
		v.Set("data[FIELDS_BEFORE][ID]", taskID)
		v.Set("data[FIELDS_AFTER][ID]", taskID)
		switch event {
		case "ONTASKADD":
			v.Del("data[FIELDS_BEFORE][ID]")
			v.Set("data[FIELDS_BEFORE]", "undefined")
		case "ONTASKDELETE":
			v.Del("data[FIELDS_AFTER][ID]")
			v.Set("data[FIELDS_AFTER]", "undefined")
		}

		v.Set("data[IS_ACCESSIBLE_BEFORE]", "undefined")
		v.Set("data[IS_ACCESSIBLE_AFTER]", "undefined")
		v.Set("ts", s.nextTS())
		s.setUserAuth(v, "auth", AdminID)
	})
	return v
}

// TaskCommentEvent is the ONTASKCOMMENTADD body. For a new-card task pass commentID "" or "0"
// and the chat message id (see PostUserMessage); for a classic card the comment id and "".
func (p *Portal) TaskCommentEvent(taskID, commentID, messageID string) url.Values {
	v := url.Values{}
	p.with(func(s *state) {
		v.Set("event", "ONTASKCOMMENTADD")
		v.Set("data[FIELDS_BEFORE]", "undefined")
		v.Set("data[FIELDS_AFTER][ID]", firstNonEmpty(commentID, "0"))
		v.Set("data[FIELDS_AFTER][TASK_ID]", taskID)
		if messageID != "" {
			v.Set("data[FIELDS_AFTER][MESSAGE_ID]", messageID)
		}

		v.Set("data[IS_ACCESSIBLE_BEFORE]", "undefined")
		v.Set("data[IS_ACCESSIBLE_AFTER]", "undefined")
		v.Set("ts", s.nextTS())
		s.setUserAuth(v, "auth", AdminID)
	})
	return v
}

// Deliver posts an event body to a handler as B24's queue does and returns the status.
func (p *Portal) Deliver(ctx context.Context, handlerURL string, body url.Values) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, handlerURL,
		strings.NewReader(body.Encode()))
	if err != nil {
		return 0, err
	}

	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()

	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}

// join makes sure a group dialog's chat exists and has the user and the bot as members.
func (s *state) join(dialogID, userID, botID string) {
	id, ok := strings.CutPrefix(dialogID, "chat")
	if !ok {
		return
	}

	chat := s.chats[id]
	if chat == nil {
		chat = &Chat{ID: id, Title: "Chat " + id, Type: "C"}
		s.chats[id] = chat
	}

	for _, m := range []string{userID, botID} {
		if !slices.Contains(chat.Members, m) {
			chat.Members = append(chat.Members, m)
		}
	}
}

func (s *state) dialogChat(dialogID string) (string, *Chat) {
	if id, ok := strings.CutPrefix(dialogID, "chat"); ok {
		return "C", s.chats[id]
	}
	return "P", nil
}

func (s *state) setMessageParams(v url.Values, dialogID, userID, botID, msgID, text string) {
	chatType, chat := s.dialogChat(dialogID)
	set := func(k, val string) { v.Set("data[PARAMS]["+k+"]", val) }
	set("MESSAGE", text)
	set("MESSAGE_TYPE", chatType)
	set("CHAT_TYPE", chatType)
	set("FROM_USER_ID", userID)
	set("AUTHOR_ID", userID)
	set("DIALOG_ID", dialogID)
	set("TO_CHAT_ID", s.chatIDOf(dialogID, userID))
	set("SYSTEM", "N")
	set("MESSAGE_ID", msgID)
	set("LANGUAGE", "en")
	if chat == nil {
		set("TO_USER_ID", botID)
		return
	}

	set("CHAT_ID", chat.ID)
	set("CHAT_TITLE", chat.Title)
	set("CHAT_ENTITY_TYPE", chat.EntityType)
	set("CHAT_ENTITY_ID", chat.EntityID)
}

func (s *state) setUserData(v url.Values, userID string) {
	u, ok := s.users[userID]
	if !ok {
		u = User{ID: userID, Name: "User " + userID, FirstName: "User", LastName: userID}
	}

	v.Set("data[USER][ID]", u.ID)
	v.Set("data[USER][NAME]", u.Name)
	v.Set("data[USER][FIRST_NAME]", u.FirstName)
	v.Set("data[USER][LAST_NAME]", u.LastName)
}

func (s *state) setBotData(v url.Values, bot *Bot) {
	pfx := "data[BOT][" + bot.ID + "]"
	s.setBotAuth(v, pfx, bot.ID)
	v.Set(pfx+"[BOT_ID]", bot.ID)
	v.Set(pfx+"[BOT_CODE]", bot.Code)
}

// setBotAuth writes the bot's own token pair flat under pfx and again under pfx[AUTH].
func (s *state) setBotAuth(v url.Values, pfx, botID string) {
	access, refresh := s.issuePair(botID)
	for _, p := range []string{pfx, pfx + "[AUTH]"} {
		s.setTokens(v, p, access, refresh, botID)
		v.Set(p+"[client_id]", s.clientID)
	}
}

// setUserAuth writes auth[...] with a fresh token pair of userID.
func (s *state) setUserAuth(v url.Values, pfx, userID string) {
	access, refresh := s.issuePair(userID)
	s.setTokens(v, pfx, access, refresh, userID)
}

func (s *state) setTokens(v url.Values, pfx, access, refresh, userID string) {
	s.setPortalAuth(v, pfx)
	v.Set(pfx+"[access_token]", access)
	v.Set(pfx+"[refresh_token]", refresh)
	v.Set(pfx+"[expires]", itoa64(time.Now().Add(tokenLifetime).Unix()))
	v.Set(pfx+"[expires_in]", "3600")
	v.Set(pfx+"[scope]", appScope)
	v.Set(pfx+"[status]", "L")
	v.Set(pfx+"[user_id]", userID)
}

func (s *state) setPortalAuth(v url.Values, pfx string) {
	v.Set(pfx+"[domain]", s.domain())
	v.Set(pfx+"[server_endpoint]", s.baseURL+"/rest/")
	v.Set(pfx+"[client_endpoint]", s.baseURL+"/rest/")
	v.Set(pfx+"[member_id]", s.memberID)
	v.Set(pfx+"[application_token]", s.appToken)
}
