package b24fake

import (
	"maps"
	"slices"
	"strings"
)

// with runs fn under the state lock.
func (p *Portal) with(fn func(s *state)) {
	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	fn(st)
}

// AddUser adds or replaces a user.
func (p *Portal) AddUser(u User) {
	p.with(func(s *state) { s.users[u.ID] = u })
}

// AddTask adds or replaces a task; an empty ID gets the next free id and Status defaults to
// "2". A task with a ChatID gets its task chat (TASKS_TASK) if that chat does not exist, with
// the responsible person and the creator as members and not the bot.
func (p *Portal) AddTask(t Task) {
	p.with(func(s *state) {
		if t.ID == "" {
			t.ID = s.nextID()
		}
		if t.Status == "" {
			t.Status = "2"
		}

		t.Fields = maps.Clone(t.Fields)
		s.tasks[t.ID] = &t
		if t.ChatID != "" && s.chats[t.ChatID] == nil {
			s.chats[t.ChatID] = &Chat{ID: t.ChatID, Title: t.Title, Type: "C",
				EntityType: "TASKS_TASK", EntityID: t.ID,
				Members: nonEmpty(t.ResponsibleID, t.CreatedBy)}
		}
	})
}

func nonEmpty(ids ...string) []string {
	var out []string
	for _, id := range ids {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// AddChat adds or replaces a group chat; set its ID (an empty one gets the next free id).
func (p *Portal) AddChat(c Chat) {
	p.with(func(s *state) {
		if c.ID == "" {
			c.ID = s.nextID()
		}
		if c.Type == "" {
			c.Type = "C"
		}

		c.Members = slices.Clone(c.Members)
		s.chats[c.ID] = &c
	})
}

// SetTaskStatus changes a task's status, as a user would in the task card.
func (p *Portal) SetTaskStatus(id, status string) {
	p.SetTaskField(id, "STATUS", status)
}

// SetTaskField sets TITLE, STATUS, RESPONSIBLE_ID, CREATED_BY, GROUP_ID or a custom UF_ field
// of a task; an unknown task is ignored.
func (p *Portal) SetTaskField(id, field, value string) {
	p.with(func(s *state) {
		if t := s.tasks[id]; t != nil {
			setTaskField(t, field, value)
		}
	})
}

// PostUserMessage writes a user's message into a dialog ("chat<ID>" or the user's id in a
// private chat with the bot) and returns its id, e.g. a comment in a new-card task chat.
func (p *Portal) PostUserMessage(dialogID, userID, text string) string {
	var id string
	p.with(func(s *state) {
		id = s.post(dialogID, &Message{AuthorID: userID, Text: text})
	})
	return id
}

// PostUserReply is PostUserMessage for a reply to the message replyID (the message carries
// params.REPLY_ID, as the messenger's reply feature sets it).
func (p *Portal) PostUserReply(dialogID, userID, text, replyID string) string {
	var id string
	p.with(func(s *state) {
		id = s.post(dialogID, &Message{AuthorID: userID, Text: text, ReplyID: replyID})
	})
	return id
}

// Task returns a copy of a task.
func (p *Portal) Task(id string) (Task, bool) {
	var t Task
	var ok bool
	p.with(func(s *state) {
		if st := s.tasks[id]; st != nil {
			t, ok = *st, true
			t.Fields = maps.Clone(st.Fields)
		}
	})
	return t, ok
}

// Chat returns a copy of a chat.
func (p *Portal) Chat(id string) (Chat, bool) {
	var c Chat
	var ok bool
	p.with(func(s *state) {
		if sc := s.chats[id]; sc != nil {
			c, ok = *sc, true
			c.Members = slices.Clone(sc.Members)
		}
	})
	return c, ok
}

// Calls returns every REST call received so far, batch commands included, oldest first.
func (p *Portal) Calls() []Call {
	var out []Call
	p.with(func(s *state) { out = slices.Clone(s.calls) })
	return out
}

// CallCount is how many calls of method (any case) were received, batch commands included.
func (p *Portal) CallCount(method string) int {
	n := 0
	p.with(func(s *state) {
		for _, c := range s.calls {
			if strings.EqualFold(c.Method, method) {
				n++
			}
		}
	})
	return n
}

// Messages returns what the bots posted in a dialog (imbot.message.add, imbot.command.answer),
// oldest first.
func (p *Portal) Messages(dialogID string) []Message {
	var out []Message
	p.with(func(s *state) {
		for _, m := range s.history[dialogID] {
			if m.BotID != "" {
				out = append(out, *m)
			}
		}
	})
	return out
}

// TaskComments returns a task's classic-card comments, oldest first.
func (p *Portal) TaskComments(taskID string) []Comment {
	var out []Comment
	p.with(func(s *state) { out = slices.Clone(s.comments[taskID]) })
	return out
}

// Files returns the uploaded files.
func (p *Portal) Files() []File {
	var out []File
	p.with(func(s *state) { out = slices.Clone(s.files) })
	return out
}

// BlogPosts returns the feed posts.
func (p *Portal) BlogPosts() []BlogPost {
	var out []BlogPost
	p.with(func(s *state) { out = slices.Clone(s.blogPosts) })
	return out
}

// Notifications returns the system notices.
func (p *Portal) Notifications() []Notification {
	var out []Notification
	p.with(func(s *state) { out = slices.Clone(s.notifications) })
	return out
}

// Bots returns the registered bots.
func (p *Portal) Bots() []Bot {
	var out []Bot
	p.with(func(s *state) {
		for _, b := range s.bots {
			out = append(out, *b)
		}
	})
	return out
}

// EventBindings returns the bound event handlers.
func (p *Portal) EventBindings() []EventBinding {
	var out []EventBinding
	p.with(func(s *state) { out = slices.Clone(s.events) })
	return out
}

// Placements returns the bound widgets.
func (p *Portal) Placements() []Placement {
	var out []Placement
	p.with(func(s *state) { out = slices.Clone(s.placements) })
	return out
}

// UserFields returns the names of the task custom fields created with task.item.userfield.add.
func (p *Portal) UserFields() []string {
	var out []string
	p.with(func(s *state) {
		for _, f := range s.userFields {
			out = append(out, f.FieldName)
		}
	})
	return out
}
