package b24fake

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// appInfo answers the app's state; the fake app is a local app, installed.
func appInfo(_ *state, _ *call) (any, *apiError) {
	return map[string]any{
		"ID": 7, "CODE": "local.fake.app", "VERSION": 1, "STATUS": "L", "INSTALLED": true,
		"PAYMENT_EXPIRED": "N", "DAYS": nil, "LANGUAGE_ID": "en", "LICENSE": "en_nfr",
		"LICENSE_TYPE": "nfr", "LICENSE_FAMILY": "nfr",
	}, nil
}

// eventBind: event and handler required; the same pair twice is ERROR_CORE "Handler already
// binded", the real text.
func eventBind(s *state, c *call) (any, *apiError) {
	event := strings.ToUpper(c.params.String("event"))
	if event == "" {
		return nil, argumentError("event")
	}

	handler := c.params.String("handler")
	if !isURL(handler) {
		return nil, argumentError("handler")
	}

	b := EventBinding{Event: event, Handler: handler}
	if slices.Contains(s.events, b) {
		return nil, badRequest("ERROR_CORE", "Handler already binded")
	}

	s.events = append(s.events, b)
	return true, nil
}

func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// eventGet answers the bindings like response-event.get.json.
func eventGet(s *state, _ *call) (any, *apiError) {
	out := []any{}
	for _, b := range s.events {
		out = append(out, map[string]any{"event": b.Event, "handler": b.Handler,
			"auth_type": "0", "offline": 0})
	}
	return out, nil
}

// placementBind: PLACEMENT and HANDLER required (error-placement.bind.json); the same pair
// twice is ERROR_CORE "Handler already binded".
func placementBind(s *state, c *call) (any, *apiError) {
	placement := strings.ToUpper(c.params.String("PLACEMENT"))
	if placement == "" {
		return nil, argumentError("PLACEMENT")
	}

	handler := c.params.String("HANDLER")
	if handler == "" {
		return nil, argumentError("HANDLER")
	}

	for _, p := range s.placements {
		if p.Placement == placement && p.Handler == handler {
			return nil, badRequest("ERROR_CORE", "Handler already binded")
		}
	}

	s.placements = append(s.placements, Placement{Placement: placement, Handler: handler,
		Title: c.params.String("TITLE")})
	return true, nil
}

func placementGet(s *state, _ *call) (any, *apiError) {
	out := []any{}
	for _, p := range s.placements {
		out = append(out, map[string]any{"placement": p.Placement, "handler": p.Handler,
			"title": p.Title, "description": "", "options": []any{}, "langAll": []any{}})
	}
	return out, nil
}

// logBlogPostAdd: POST_MESSAGE required; answers the post id as a number.
func logBlogPostAdd(s *state, c *call) (any, *apiError) {
	text := c.params.String("POST_MESSAGE")
	if strings.TrimSpace(text) == "" {
		return nil, argumentError("POST_MESSAGE")
	}

	p := BlogPost{ID: s.nextID(), Title: c.params.String("POST_TITLE"), Message: text,
		Dest:     stringList(c, "DEST"),
		AuthorID: firstNonEmpty(c.params.String("USER_ID"), c.userID)}
	s.blogPosts = append(s.blogPosts, p)
	return num(p.ID), nil
}

// imNotifySystemAdd: USER_ID and MESSAGE required; answers the notice id as a number.
func imNotifySystemAdd(s *state, c *call) (any, *apiError) {
	userID := c.params.String("USER_ID")
	if userID == "" {
		return nil, badRequest("USER_ID_EMPTY", "User ID can't be empty")
	}

	text := c.params.String("MESSAGE")
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("MESSAGE_EMPTY", "Message can't be empty")
	}

	attach, _ := c.params.Get("ATTACH")
	n := Notification{ID: s.nextID(), UserID: userID, Message: text,
		Tag: c.params.String("TAG"), SubTag: c.params.String("SUB_TAG"), Attach: attach}
	s.notifications = append(s.notifications, n)
	return num(n.ID), nil
}

const (
	defaultDialogLimit = 20
	maxDialogLimit     = 50
)

// imDialogMessagesGet answers {messages, users, files, chat_id}. FIRST_ID gives the messages
// after it, oldest first; LAST_ID those before it and no id the last ones, newest first.
func imDialogMessagesGet(s *state, c *call) (any, *apiError) {
	dialog := c.params.String("DIALOG_ID")
	if dialog == "" {
		return nil, badRequest("DIALOG_ID_EMPTY", "Dialog ID can't be empty")
	}

	if id, ok := strings.CutPrefix(dialog, "chat"); ok && s.chats[id] == nil {
		return nil, &apiError{status: 403, code: "ACCESS_ERROR",
			desc: "You do not have access to the specified dialog"}
	}

	msgs := selectMessages(s.history[dialog], c)
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		var params any // B24 sends [] for a message without params
		if m.ReplyID != "" {
			params = map[string]any{"REPLY_ID": m.ReplyID}
		} else {
			params = []any{}
		}
		out = append(out, map[string]any{"id": num(m.ID), "chat_id": num(m.ChatID),
			"author_id": num(m.AuthorID), "date": m.At.Format(time.RFC3339), "text": m.Text,
			"params": params})
	}

	return map[string]any{"messages": out, "users": []any{}, "files": []any{},
		"chat_id": num(s.chatIDOf(dialog, ""))}, nil
}

func selectMessages(all []*Message, c *call) []*Message {
	limit, _ := strconv.Atoi(c.params.String("LIMIT"))
	if limit <= 0 {
		limit = defaultDialogLimit
	}
	limit = min(limit, maxDialogLimit)

	first, hasFirst := idParam(c, "FIRST_ID")
	last, hasLast := idParam(c, "LAST_ID")
	var out []*Message
	if hasFirst {
		for _, m := range all {
			if id, _ := strconv.Atoi(m.ID); id > first && len(out) < limit {
				out = append(out, m)
			}
		}
		return out
	}

	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if id, _ := strconv.Atoi(all[i].ID); !hasLast || id < last {
			out = append(out, all[i])
		}
	}

	return out
}

func idParam(c *call, name string) (int, bool) {
	v := c.params.String(name)
	if v == "" {
		return 0, false
	}

	n, err := strconv.Atoi(v)
	return n, err == nil
}

// userGet answers the users matching FILTER[ID] or FILTER[EMAIL] (all users without a
// filter), in the upper-case shape of the real method with string ids.
func userGet(s *state, c *call) (any, *apiError) {
	id := c.params.String("FILTER", "ID")
	email := c.params.String("FILTER", "EMAIL")
	out := []map[string]any{}
	for _, u := range s.users {
		if (id != "" && u.ID != id) || (email != "" && !strings.EqualFold(u.Email, email)) {
			continue
		}
		out = append(out, map[string]any{"ID": u.ID, "NAME": u.FirstName,
			"LAST_NAME": u.LastName, "EMAIL": u.Email, "ACTIVE": true})
	}
	return out, nil
}
