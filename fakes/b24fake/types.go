package b24fake

import (
	"time"

	"github.com/figbot/figbot/b24"
)

// User is a portal user. User 1 is the administrator who installed the app; bots are users too.
type User struct {
	ID        string
	Name      string
	FirstName string
	LastName  string
	Email     string
}

// Chat is a group chat. EntityType and EntityID bind it to a project (SONET_GROUP, group id) or
// a new-card task (TASKS_TASK, task id). Only members may be posted to by a bot.
type Chat struct {
	ID         string
	Title      string
	Type       string // "C" group chat (default)
	EntityType string
	EntityID   string
	Members    []string
}

// Task is a task. ChatID is set for a task of the new card, which has a task chat.
type Task struct {
	ID            string
	Title         string
	Status        string // "2" pending (default), "3" in progress, "4" awaiting control, "5" done
	ResponsibleID string
	CreatedBy     string
	GroupID       string
	ChatID        string
	Fields        map[string]string // custom fields by upper-case name, e.g. UF_FIGMA_URL
}

// Message is a chat message: posted by the bot (BotID set, Method names the call) or written by
// a user (the events a test builds write those).
type Message struct {
	ID         string
	DialogID   string // "chat<ID>" or, in a private chat, the user's id
	ChatID     string
	AuthorID   string
	BotID      string
	Text       string
	Attach     any
	Keyboard   any
	System     bool
	URLPreview bool
	ReplyID    string
	Method     string // imbot.message.add or imbot.command.answer; "" for a user's message
	At         time.Time
}

// Comment is a classic-card task comment.
type Comment struct {
	ID       string
	TaskID   string
	AuthorID string
	Message  string
	PostDate time.Time
}

// File is a file uploaded to the app's Drive storage.
type File struct {
	ID          string
	Name        string
	FolderID    string
	Data        []byte
	DetailURL   string
	DownloadURL string
	Version     int // GLOBAL_CONTENT_VERSION: 1, then +1 per disk.file.uploadversion
}

// Folder is a folder of the app's Drive storage under its root.
type Folder struct {
	ID       string
	Name     string
	ParentID string
}

// BlogPost is a feed post.
type BlogPost struct {
	ID       string
	Title    string
	Message  string
	Dest     []string
	AuthorID string
}

// Notification is a system notice.
type Notification struct {
	ID      string
	UserID  string
	Message string
	Tag     string
	SubTag  string
	Attach  any
}

// Bot is a registered chat bot.
type Bot struct {
	ID           string
	Code         string
	Name         string
	EventHandler string
}

// EventBinding is a handler bound with event.bind.
type EventBinding struct {
	Event   string // upper case
	Handler string
}

// Placement is a widget bound with placement.bind.
type Placement struct {
	Placement string
	Handler   string
	Title     string
}

// Call is one REST call the portal received; auth is removed from Params.
type Call struct {
	Method  string // lower case, e.g. "imbot.message.add"
	Params  b24.Values
	At      time.Time
	Status  int  // the HTTP status answered (a command in a batch: 200, or 400 when it failed)
	InBatch bool // the call was a command of a batch
}

// Fault makes the next Times calls of a method fail (Times 0 means 1).
type Fault struct {
	Status      int
	Code        string
	Description string
	Times       int
}
