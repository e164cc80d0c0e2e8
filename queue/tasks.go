// Package queue holds figbot's asynq task types, their payloads and constructors, the
// handlers that do the work, and the retry policy. The HTTP intake only verifies and enqueues;
// every call to Figma or B24 happens in a handler here.
package queue

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
)

// Task types, named system:action.
const (
	TypeInstall        = "b24:install"
	TypeSetup          = "b24:setup"
	TypeUninstall      = "b24:uninstall"
	TypeCommand        = "b24:command"
	TypeJoin           = "b24:join"
	TypeTaskEvent      = "b24:task_event"
	TypeTaskComment    = "b24:task_comment"
	TypeNotice         = "b24:notice"
	TypeDigest         = "b24:digest"
	TypeTaskNote       = "b24:task_note"
	TypeFigmaEvent     = "figma:event"
	TypeFileUpdate     = "figma:file_update"
	TypeEnsureWebhooks = "figma:ensure_webhooks"
	TypeCheckWebhooks  = "figma:check_webhooks"
	TypeRefreshAll     = "preview:refresh_all"
	TypeRefreshFile    = "preview:refresh_file"
)

// Queue names, by how soon their work is seen by people.
const (
	QueueCritical = "critical" // commands and installs: a person is waiting
	QueueDefault  = "default"  // notifications
	QueueLow      = "low"      // scheduled refreshes and checks
)

// Queues maps each queue to its asynq priority weight.
var Queues = map[string]int{QueueCritical: 6, QueueDefault: 3, QueueLow: 1}

// DedupWindow is how long a delivery's id is remembered: longer than Figma's retry schedule
// (5 min, 30 min, 3 h) and the contract's four hours.
const DedupWindow = 5 * time.Hour

// InstallPayload names an install waiting in the store to be checked and applied.
type InstallPayload struct {
	MemberID  string `json:"member_id"`
	PendingID string `json:"pending_id"`
}

// SetupPayload names a stored portal whose bot, commands, bindings and fields are set up.
type SetupPayload struct {
	MemberID string `json:"member_id"`
}

// UninstallPayload names a portal that removed the app.
type UninstallPayload struct {
	MemberID string `json:"member_id"`
}

// CommandPayload is one slash command typed in a chat.
type CommandPayload struct {
	MemberID       string `json:"member_id"`
	DialogID       string `json:"dialog_id"`
	ChatType       string `json:"chat_type,omitempty"`
	ChatEntityType string `json:"chat_entity_type,omitempty"`
	ChatEntityID   string `json:"chat_entity_id,omitempty"`
	MessageID      string `json:"message_id"`
	CommandID      string `json:"command_id,omitempty"`
	Command        string `json:"command"`
	Params         string `json:"params"`
	UserID         string `json:"user_id"`
	UserName       string `json:"user_name,omitempty"`
	Lang           string `json:"lang,omitempty"`
}

// JoinPayload is the bot being added to a chat.
type JoinPayload struct {
	MemberID string `json:"member_id"`
	DialogID string `json:"dialog_id"`
	Lang     string `json:"lang,omitempty"`
}

// TaskEventPayload is a task added or changed in B24 (only its id arrives).
type TaskEventPayload struct {
	MemberID string `json:"member_id"`
	Event    string `json:"event"`
	TaskID   string `json:"task_id"`
}

// TaskCommentPayload is a comment added to a task, classic or in the task chat.
type TaskCommentPayload struct {
	MemberID  string `json:"member_id"`
	TaskID    string `json:"task_id"`
	CommentID string `json:"comment_id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
}

// NoticePayload is one message for one chat. Notices for the same chat wait a moment in an
// asynq group so that a burst becomes one digest.
type NoticePayload struct {
	MemberID string `json:"member_id"`
	DialogID string `json:"dialog_id"`
	Text     string `json:"text"`
	// Effect names this notice for at-most-once delivery across retries.
	Effect string `json:"effect"`
	Lang   string `json:"lang,omitempty"`
	// Thread names the Figma comment the notice shows ("<file_key>/<comment_id>"), and ReplyTo
	// the comment it answers: a reply is posted as a B24 reply to the message of its thread.
	Thread  string `json:"thread,omitempty"`
	ReplyTo string `json:"reply_to,omitempty"`
}

// DigestPayload is several notices for one chat, merged by the group aggregator.
type DigestPayload struct {
	Notices []NoticePayload `json:"notices"`
}

// TaskNotePayload is a comment the bot writes into a task.
type TaskNotePayload struct {
	MemberID string `json:"member_id"`
	TaskID   string `json:"task_id"`
	Effect   string `json:"effect"`
	// Kind selects the wording; the fields below fill it in.
	Kind        string `json:"kind"` // "version" or "reply"
	FileKey     string `json:"file_key"`
	FileName    string `json:"file_name"`
	Label       string `json:"label,omitempty"`
	Description string `json:"description,omitempty"`
	Author      string `json:"author,omitempty"`
	Lang        string `json:"lang,omitempty"`
	Text        string `json:"text,omitempty"` // "reply": the Figma reply, made inert
	CommentID   string `json:"comment_id,omitempty"`
	ParentID    string `json:"parent_id,omitempty"` // "reply": the thread's root comment
}

// FileUpdatePayload is one coalesced FILE_UPDATE window for a file.
type FileUpdatePayload struct {
	FileKey  string `json:"file_key"`
	FileName string `json:"file_name"`
	Slot     int64  `json:"slot"`
}

// SlotPayload names a periodic job's time slot (unix seconds of its start).
type SlotPayload struct {
	Slot int64 `json:"slot"`
}

// RefreshFilePayload names one linked file whose previews are checked.
type RefreshFilePayload struct {
	FileKey string `json:"file_key"`
}

// EnsureWebhooksPayload asks for webhooks that cover a file, and says whom to tell on failure.
type EnsureWebhooksPayload struct {
	FileKey  string `json:"file_key"`
	MemberID string `json:"member_id,omitempty"`
	DialogID string `json:"dialog_id,omitempty"`
	Lang     string `json:"lang,omitempty"`
}

func newTask(typ string, payload any, opts ...asynq.Option) (*asynq.Task, error) {
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("queue: encode %s: %w", typ, err)
	}
	return asynq.NewTask(typ, raw, opts...), nil
}

// decode reads a task payload; a payload that cannot be read will never be readable, so the
// error skips retries.
func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("queue: bad %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	return nil
}
