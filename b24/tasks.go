package b24

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
)

// Task is the part of a task the bot reads.
type Task struct {
	ID            string
	Title         string
	Status        string // 2 pending, 3 in progress, 4 awaiting control, 5 completed, 6 deferred
	ResponsibleID string
	// ResponsibleName comes from the "responsible" object B24 adds when RESPONSIBLE_ID is
	// selected; "" when it is absent.
	ResponsibleName string
	CreatedBy       string
	GroupID         string
	ChatID          string // the new card's task chat; "" or "0" in the classic card
	// UF holds the scalar custom fields B24 returned, keyed in upper case ("UF_FIGMA_URL"),
	// however the answer spelled them.
	UF map[string]string
}

// TaskGet reads a task. Custom fields are returned only when named in selectFields, and B24
// may spell them UF_FIGMA_URL or ufFigmaUrl (b24-facts 5), so both are read.
// https://apidocs.bitrix24.com/api-reference/tasks/tasks-task-get.html
func (c *Client) TaskGet(ctx context.Context, memberID, taskID string,
	selectFields []string) (Task, error) {
	params := Ordered{{"taskId", taskID}}
	if len(selectFields) > 0 {
		params = append(params, KV{"select", selectFields})
	}

	var res struct {
		Task map[string]json.RawMessage `json:"task"`
	}
	if err := c.Call(ctx, memberID, "tasks.task.get", params, &res); err != nil {
		return Task{}, err
	}

	if res.Task == nil {
		return Task{}, fmt.Errorf("b24: tasks.task.get %s: %w", taskID, ErrNotFound)
	}

	return taskFromFields(res.Task), nil
}

// taskFromFields reads camelCase (tasks.task.*) or UPPER_CASE (legacy) keys alike.
func taskFromFields(fields map[string]json.RawMessage) Task {
	norm := make(map[string]string, len(fields))
	t := Task{UF: map[string]string{}}
	for key, raw := range fields {
		if strings.EqualFold(key, "responsible") {
			var r struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(raw, &r)
			t.ResponsibleName = r.Name
			continue
		}
		value, ok := scalar(raw)
		if !ok {
			continue
		}

		norm[normKey(key)] = value
		if strings.HasPrefix(strings.ToLower(key), "uf") {
			t.UF[ufName(key)] = value
		}
	}

	t.ID = norm["id"]
	t.Title = norm["title"]
	t.Status = norm["status"]
	t.ResponsibleID = norm["responsibleid"]
	t.CreatedBy = norm["createdby"]
	t.GroupID = norm["groupid"]
	t.ChatID = norm["chatid"]
	return t
}

func normKey(key string) string {
	return strings.ToLower(strings.ReplaceAll(key, "_", ""))
}

// ufName turns ufFigmaUrl into UF_FIGMA_URL and leaves UF_FIGMA_URL as it is.
func ufName(key string) string {
	if strings.Contains(key, "_") {
		return strings.ToUpper(key)
	}

	var b strings.Builder
	for i, r := range key {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToUpper(r))
	}

	return b.String()
}

// TaskUpdate changes task fields, keyed in upper case (STATUS, UF_FIGMA_PREVIEW, ...).
// https://apidocs.bitrix24.com/api-reference/tasks/tasks-task-update.html
func (c *Client) TaskUpdate(ctx context.Context, memberID, taskID string,
	fields map[string]any) error {
	params := Ordered{{"taskId", taskID}, {"fields", fields}}
	return c.Call(ctx, memberID, "tasks.task.update", params, nil)
}

// CommentItemAdd adds a comment to a task in the classic card and returns its id. authorID ""
// posts as the token's user. TASKID is sent before FIELDS: the method reads parameters by
// position (b24-facts 5). The method is deprecated in the new card, where comments are task
// chat messages (post them with MessageAdd to "chat<chatId>").
// https://apidocs.bitrix24.com/api-reference/tasks/comment-item/task-comment-item-add.html
func (c *Client) CommentItemAdd(ctx context.Context, memberID, taskID, authorID,
	text string) (string, error) {
	fields := Ordered{{"POST_MESSAGE", text}}
	if authorID != "" {
		fields = append(fields, KV{"AUTHOR_ID", authorID})
	}

	var id flexString
	err := c.Call(ctx, memberID, "task.commentitem.add",
		Ordered{{"TASKID", taskID}, {"FIELDS", fields}}, &id)
	return string(id), err
}

// TaskComment is a classic-card task comment.
type TaskComment struct {
	ID         string
	AuthorID   string
	AuthorName string
	PostDate   string
	Message    string
}

type taskCommentWire struct {
	ID          flexString `json:"ID"`
	AuthorID    flexString `json:"AUTHOR_ID"`
	AuthorName  string     `json:"AUTHOR_NAME"`
	PostDate    string     `json:"POST_DATE"`
	PostMessage string     `json:"POST_MESSAGE"`
}

// CommentItemGet reads one classic-card task comment (TASKID, then ITEMID, by position).
// https://apidocs.bitrix24.com/api-reference/tasks/comment-item/task-comment-item-get.html
func (c *Client) CommentItemGet(ctx context.Context, memberID, taskID,
	commentID string) (TaskComment, error) {
	var w taskCommentWire
	err := c.Call(ctx, memberID, "task.commentitem.get",
		Ordered{{"TASKID", taskID}, {"ITEMID", commentID}}, &w)
	if err != nil {
		return TaskComment{}, err
	}

	return TaskComment{
		ID: string(w.ID), AuthorID: string(w.AuthorID), AuthorName: w.AuthorName,
		PostDate: w.PostDate, Message: w.PostMessage,
	}, nil
}

// UserField describes a task custom field for task.item.userfield.add. B24 accepts the types
// string, double, datetime and boolean only (no url type), and only from an administrator.
type UserField struct {
	FieldName     string            // UF_ is added by B24 when missing
	UserTypeID    string            // string, double, datetime or boolean
	XMLID         string            // optional
	Label         string            // optional; shown in every language without EditFormLabel
	EditFormLabel map[string]string // optional, by language id
	Multiple      bool
	Mandatory     bool
}

// UserFieldAdd creates a task custom field and returns its id. A field of that name existing
// already is an error matching ErrAlreadyExists.
// https://apidocs.bitrix24.com/api-reference/tasks/user-field/task-item-user-field-add.html
func (c *Client) UserFieldAdd(ctx context.Context, memberID string,
	f UserField) (string, error) {
	p := Ordered{
		{"USER_TYPE_ID", f.UserTypeID},
		{"FIELD_NAME", f.FieldName},
		{"MULTIPLE", yn(f.Multiple)},
		{"MANDATORY", yn(f.Mandatory)},
	}
	if f.XMLID != "" {
		p = append(p, KV{"XML_ID", f.XMLID})
	}
	if f.Label != "" {
		p = append(p, KV{"LABEL", f.Label})
	}
	if len(f.EditFormLabel) > 0 {
		p = append(p, KV{"EDIT_FORM_LABEL", f.EditFormLabel})
	}

	var id flexString
	err := c.Call(ctx, memberID, "task.item.userfield.add", Ordered{{"PARAMS", p}}, &id)
	return string(id), err
}

// UserFieldInfo is one entry of task.item.userfield.getlist.
type UserFieldInfo struct {
	ID         string
	FieldName  string
	UserTypeID string
	XMLID      string
}

type userFieldWire struct {
	ID         flexString `json:"ID"`
	FieldName  string     `json:"FIELD_NAME"`
	UserTypeID string     `json:"USER_TYPE_ID"`
	XMLID      flexString `json:"XML_ID"`
}

// UserFieldList lists task custom fields; fieldName "" lists them all. ORDER goes before
// FILTER: the method reads parameters by position.
// https://apidocs.bitrix24.com/api-reference/tasks/user-field/task-item-user-field-get-list.html
func (c *Client) UserFieldList(ctx context.Context, memberID,
	fieldName string) ([]UserFieldInfo, error) {
	filter := map[string]string{}
	if fieldName != "" {
		filter["FIELD_NAME"] = fieldName
	}

	params := Ordered{{"ORDER", map[string]string{"ID": "ASC"}}, {"FILTER", filter}}
	var ws []userFieldWire
	if err := c.Call(ctx, memberID, "task.item.userfield.getlist", params, &ws); err != nil {
		return nil, err
	}

	out := make([]UserFieldInfo, 0, len(ws))
	for _, w := range ws {
		out = append(out, UserFieldInfo{ID: string(w.ID), FieldName: w.FieldName,
			UserTypeID: w.UserTypeID, XMLID: string(w.XMLID)})
	}

	return out, nil
}
