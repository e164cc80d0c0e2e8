package figma

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Event is one webhook delivery (docs /rest-api/webhooks-events). Fields that do not
// belong to the event's type stay empty.
type Event struct {
	Type        string // event_type, kept as sent, also for types this package does not know
	Passcode    string // compare with the stored one in constant time; never log it
	WebhookID   string
	Timestamp   time.Time // when the event fired (UTC)
	FileKey     string
	FileName    string
	TriggeredBy *User // nil when the payload names nobody

	// FILE_COMMENT
	CommentID  string
	ParentID   string // the root comment of a reply; "" for a root comment
	OrderID    string
	Comment    []Fragment
	Mentions   []User
	CreatedAt  time.Time // also set for FILE_VERSION_UPDATE
	ResolvedAt *time.Time

	// FILE_VERSION_UPDATE (Description is also LIBRARY_PUBLISH's note)
	VersionID   string
	Label       string
	Description string

	// DEV_MODE_STATUS_UPDATE
	NodeID        string
	Status        string // NONE, READY_FOR_DEV, COMPLETED
	ChangeMessage string
	RelatedLinks  []DevResource

	// LIBRARY_PUBLISH
	Library LibraryChanges
}

// Fragment is one piece of a comment: exactly one of Text and Mention is set. Mention is
// the mentioned user's id; Event.Mentions has the user.
type Fragment struct {
	Text    string `json:"text,omitempty"`
	Mention string `json:"mention,omitempty"`
}

// UnmarshalJSON accepts a mention id sent as a string or a number.
func (f *Fragment) UnmarshalJSON(b []byte) error {
	var w struct {
		Text    string `json:"text"`
		Mention ID     `json:"mention"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*f = Fragment{Text: w.Text, Mention: string(w.Mention)}
	return nil
}

// DevResource is a link attached to a node in Dev Mode.
type DevResource struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	URL     string `json:"url"`
	NodeID  string `json:"node_id"`
	FileKey string `json:"file_key"`
}

// UnmarshalJSON keeps a numeric id exact (Figma sends ids past 2^53 here).
func (d *DevResource) UnmarshalJSON(b []byte) error {
	var w struct {
		ID      ID     `json:"id"`
		Name    string `json:"name"`
		URL     string `json:"url"`
		NodeID  ID     `json:"node_id"`
		FileKey string `json:"file_key"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = DevResource{
		ID: string(w.ID), Name: w.Name, URL: w.URL, NodeID: string(w.NodeID), FileKey: w.FileKey,
	}
	return nil
}

// Asset is a published library item.
type Asset struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// LibraryChanges lists what a LIBRARY_PUBLISH event published. Figma sends one event per
// asset kind and splits big publishes, so most lists are empty in any one event.
type LibraryChanges struct {
	CreatedComponents, ModifiedComponents, DeletedComponents []Asset
	CreatedStyles, ModifiedStyles, DeletedStyles             []Asset
	CreatedVariables, ModifiedVariables, DeletedVariables    []Asset
}

type eventWire struct {
	EventType   string  `json:"event_type"`
	Passcode    string  `json:"passcode"`
	WebhookID   ID      `json:"webhook_id"`
	Timestamp   optTime `json:"timestamp"`
	FileKey     string  `json:"file_key"`
	FileName    string  `json:"file_name"`
	TriggeredBy *User   `json:"triggered_by"`

	CommentID  ID         `json:"comment_id"`
	ParentID   ID         `json:"parent_id"`
	OrderID    ID         `json:"order_id"`
	Comment    []Fragment `json:"comment"`
	Mentions   []User     `json:"mentions"`
	CreatedAt  optTime    `json:"created_at"`
	ResolvedAt optTime    `json:"resolved_at"`

	VersionID   ID     `json:"version_id"`
	Label       string `json:"label"`
	Description string `json:"description"`

	NodeID        ID            `json:"node_id"`
	Status        string        `json:"status"`
	ChangeMessage string        `json:"change_message"`
	RelatedLinks  []DevResource `json:"related_links"`

	CreatedComponents  []Asset `json:"created_components"`
	ModifiedComponents []Asset `json:"modified_components"`
	DeletedComponents  []Asset `json:"deleted_components"`
	CreatedStyles      []Asset `json:"created_styles"`
	ModifiedStyles     []Asset `json:"modified_styles"`
	DeletedStyles      []Asset `json:"deleted_styles"`
	CreatedVariables   []Asset `json:"created_variables"`
	ModifiedVariables  []Asset `json:"modified_variables"`
	DeletedVariables   []Asset `json:"deleted_variables"`
}

// ParseEvent decodes a webhook delivery body. Unknown event types and unknown fields are
// fine; a body that is not a JSON object, or has no event_type, is an error. Errors never
// quote the body, which holds the passcode.
func ParseEvent(body []byte) (Event, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return Event{}, errors.New("figma: parse event: body is not a JSON object")
	}

	var w eventWire
	if err := json.Unmarshal(trimmed, &w); err != nil {
		return Event{}, fmt.Errorf("figma: parse event: %w", err)
	}
	if strings.TrimSpace(w.EventType) == "" {
		return Event{}, errors.New("figma: parse event: no event_type")
	}
	return w.event(), nil
}

func (w eventWire) event() Event {
	return Event{
		Type: w.EventType, Passcode: w.Passcode, WebhookID: string(w.WebhookID),
		Timestamp: w.Timestamp.t, FileKey: w.FileKey, FileName: w.FileName,
		TriggeredBy: w.TriggeredBy,

		CommentID: string(w.CommentID), ParentID: string(w.ParentID),
		OrderID: string(w.OrderID), Comment: w.Comment, Mentions: w.Mentions,
		CreatedAt: w.CreatedAt.t, ResolvedAt: w.ResolvedAt.ptr(),

		VersionID: string(w.VersionID), Label: w.Label, Description: w.Description,

		NodeID: string(w.NodeID), Status: w.Status, ChangeMessage: w.ChangeMessage,
		RelatedLinks: w.RelatedLinks,

		Library: w.library(),
	}
}

func (w eventWire) library() LibraryChanges {
	return LibraryChanges{
		CreatedComponents:  w.CreatedComponents,
		ModifiedComponents: w.ModifiedComponents,
		DeletedComponents:  w.DeletedComponents,
		CreatedStyles:      w.CreatedStyles,
		ModifiedStyles:     w.ModifiedStyles,
		DeletedStyles:      w.DeletedStyles,
		CreatedVariables:   w.CreatedVariables,
		ModifiedVariables:  w.ModifiedVariables,
		DeletedVariables:   w.DeletedVariables,
	}
}

// DedupKey identifies the event across Figma's retries (up to 3, over about 3.5 hours):
// webhook + type + comment id for FILE_COMMENT, + version id for FILE_VERSION_UPDATE;
// file key + timestamp for FILE_UPDATE, so that two hooks on one file count once; webhook
// + type + file key + timestamp for everything else.
func (e Event) DedupKey() string {
	ts := e.Timestamp.UTC().Format(time.RFC3339)
	switch {
	case e.Type == EventFileComment && e.CommentID != "":
		return strings.Join([]string{e.WebhookID, e.Type, e.CommentID}, ":")
	case e.Type == EventFileVersionUpdate && e.VersionID != "":
		return strings.Join([]string{e.WebhookID, e.Type, e.VersionID}, ":")
	case e.Type == EventFileUpdate:
		return strings.Join([]string{e.Type, e.FileKey, ts}, ":")
	}
	return strings.Join([]string{e.WebhookID, e.Type, e.FileKey, ts}, ":")
}

// Text returns a comment's text: fragments joined as sent, mentions written "@handle"
// (or "@<id>" when Mentions does not name the user).
func (e Event) Text() string {
	var b strings.Builder
	for _, f := range e.Comment {
		if f.Mention == "" {
			b.WriteString(f.Text)
			continue
		}
		b.WriteString("@" + e.handle(f.Mention))
	}
	return b.String()
}

func (e Event) handle(id string) string {
	for _, u := range e.Mentions {
		if u.ID == id && u.Handle != "" {
			return u.Handle
		}
	}
	return id
}
