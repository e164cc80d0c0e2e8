package b24fake

import (
	"slices"
	"strings"
	"time"
)

var stdTaskFields = []struct {
	name string // as named in select and fields
	key  string // as spelled in the tasks.task.* answer
}{
	{"ID", "id"}, {"TITLE", "title"}, {"STATUS", "status"},
	{"RESPONSIBLE_ID", "responsibleId"}, {"CREATED_BY", "createdBy"}, {"GROUP_ID", "groupId"},
}

var userTypes = []string{"string", "double", "datetime", "boolean"}

func (s *state) taskByParam(c *call, name string) (*Task, *apiError) {
	id := c.params.String(name)
	if id == "" {
		return nil, badRequest("ERROR_CORE", "Param #0 ("+name+") for method "+c.method+
			` expected to be of type "integer", but given something else.`)
	}

	t := s.tasks[id]
	if t == nil {
		return nil, badRequest("ERROR_CORE", "Task not found or not accessible")
	}

	return t, nil
}

// tasksTaskGet answers {"task": {...}} with camelCase keys and string ids, chatId as a number
// (response-tasks.task.get*.json). Custom fields come only when select names them (or "UF_*"),
// spelled ufFigmaUrl (WithUpperCaseUF: UF_FIGMA_URL), null when unset.
func tasksTaskGet(s *state, c *call) (any, *apiError) {
	t, err := s.taskByParam(c, "taskId")
	if err != nil {
		return nil, err
	}

	return map[string]any{"task": s.taskJSON(t, stringList(c, "select"))}, nil
}

func (s *state) taskJSON(t *Task, sel []string) map[string]any {
	all := len(sel) == 0 || slices.Contains(sel, "*")
	out := map[string]any{"id": t.ID, "chatId": chatIDNumber(t.ChatID)}
	values := map[string]string{"TITLE": t.Title, "STATUS": t.Status,
		"RESPONSIBLE_ID": t.ResponsibleID, "CREATED_BY": t.CreatedBy, "GROUP_ID": t.GroupID}
	for _, f := range stdTaskFields[1:] {
		if all || containsFold(sel, f.name) {
			out[f.key] = values[f.name]
		}
	}

	if !all {
		out["favorite"], out["group"], out["action"] = "N", []any{}, map[string]any{}
	}

	if u, ok := s.users[t.ResponsibleID]; ok && (all || containsFold(sel, "RESPONSIBLE_ID")) {
		out["responsible"] = map[string]any{"id": u.ID, "name": u.Name,
			"link": "/company/personal/user/" + u.ID + "/", "icon": "", "workPosition": ""}
	}

	for _, name := range s.selectedUF(t, sel) {
		out[s.ufKey(name)] = ufValue(t, name)
	}

	return out
}

func chatIDNumber(id string) any {
	if id == "" {
		return 0
	}
	return num(id)
}

// selectedUF lists the custom fields select names that exist (registered or set).
func (s *state) selectedUF(t *Task, sel []string) []string {
	var out []string
	for _, name := range s.knownUF(t) {
		if containsFold(sel, name) || containsFold(sel, "UF_*") {
			out = append(out, name)
		}
	}
	return out
}

func (s *state) knownUF(t *Task) []string {
	var names []string
	for _, f := range s.userFields {
		names = append(names, f.FieldName)
	}

	for name := range t.Fields {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}

	slices.Sort(names)
	return names
}

func ufValue(t *Task, name string) any {
	if v, ok := t.Fields[name]; ok {
		return v
	}
	return nil
}

// ufKey spells UF_FIGMA_URL as ufFigmaUrl, like ufCrmTask in the published answer.
func (s *state) ufKey(name string) string {
	if s.upperUF {
		return name
	}

	parts := strings.Split(strings.ToLower(name), "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}

	return strings.Join(parts, "")
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// tasksTaskUpdate applies fields{TITLE, STATUS, RESPONSIBLE_ID, GROUP_ID, UF_*} and answers the
// task.
func tasksTaskUpdate(s *state, c *call) (any, *apiError) {
	t, err := s.taskByParam(c, "taskId")
	if err != nil {
		return nil, err
	}

	fields := c.params.Map("fields")
	if len(fields) == 0 {
		return nil, badRequest("ERROR_CORE", "Param #1 (fields) for method "+
			"tasks.task.update expected to be of type \"array\", but given something else.")
	}

	for name := range fields {
		setTaskField(t, name, fields.String(name))
	}

	return map[string]any{"task": s.taskJSON(t, nil)}, nil
}

func setTaskField(t *Task, field, value string) {
	switch strings.ToUpper(field) {
	case "TITLE":
		t.Title = value
	case "STATUS":
		t.Status = value
	case "RESPONSIBLE_ID":
		t.ResponsibleID = value
	case "CREATED_BY":
		t.CreatedBy = value
	case "GROUP_ID":
		t.GroupID = value
	default:
		if strings.HasPrefix(strings.ToUpper(field), "UF_") {
			if t.Fields == nil {
				t.Fields = map[string]string{}
			}
			t.Fields[strings.ToUpper(field)] = value
		}
	}
}

// checkOrder refuses a body where first does not come before second. Legacy task.* methods read
// parameters by position; the real API misreads FIELDS as the task id and fails like this.
func checkOrder(c *call, first, second string) *apiError {
	fi, si := indexFold(c.order, first), indexFold(c.order, second)
	if fi < 0 || (si >= 0 && si < fi) {
		return badRequest("ERROR_CORE", "Param #0 (taskId) for method "+c.method+
			`() expected to be of type "integer", but given something else.`)
	}

	return nil
}

func indexFold(list []string, s string) int {
	return slices.IndexFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// taskCommentItemAdd: TASKID, then FIELDS{POST_MESSAGE, AUTHOR_ID}; answers the comment id as a
// number (response-task.commentitem.add.json).
func taskCommentItemAdd(s *state, c *call) (any, *apiError) {
	if err := checkOrder(c, "TASKID", "FIELDS"); err != nil {
		return nil, err
	}

	t, err := s.taskByParam(c, "TASKID")
	if err != nil {
		return nil, err
	}

	text := c.params.String("FIELDS", "POST_MESSAGE")
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("ERROR_CORE", "The comment text (POST_MESSAGE) is empty")
	}

	author := firstNonEmpty(c.params.String("FIELDS", "AUTHOR_ID"), c.userID)
	cm := Comment{ID: s.nextID(), TaskID: t.ID, AuthorID: author, Message: text,
		PostDate: time.Now()}
	s.comments[t.ID] = append(s.comments[t.ID], cm)
	return num(cm.ID), nil
}

// taskCommentItemGet: TASKID, then ITEMID.
func taskCommentItemGet(s *state, c *call) (any, *apiError) {
	if err := checkOrder(c, "TASKID", "ITEMID"); err != nil {
		return nil, err
	}

	t, err := s.taskByParam(c, "TASKID")
	if err != nil {
		return nil, err
	}

	id := c.params.String("ITEMID")
	for _, cm := range s.comments[t.ID] {
		if cm.ID == id {
			return s.commentJSON(cm), nil
		}
	}

	return nil, badRequest("ERROR_CORE", "Comment not found")
}

func (s *state) commentJSON(cm Comment) map[string]any {
	return map[string]any{
		"ID": cm.ID, "AUTHOR_ID": cm.AuthorID, "AUTHOR_NAME": s.users[cm.AuthorID].Name,
		"AUTHOR_EMAIL": "", "POST_DATE": cm.PostDate.Format(time.RFC3339),
		"POST_MESSAGE": cm.Message, "ATTACHED_OBJECTS": []any{},
	}
}

// taskUserFieldAdd: PARAMS{USER_TYPE_ID, FIELD_NAME, ...}, administrator only; answers the field
// id as a number. A duplicate name is ERROR_CORE "... already exists" (b24-facts 5; the exact
// wording is the fake's).
func taskUserFieldAdd(s *state, c *call) (any, *apiError) {
	if c.userID != AdminID {
		return nil, &apiError{status: 403, code: "ACCESS_DENIED", desc: "Access denied."}
	}

	typ := c.params.String("PARAMS", "USER_TYPE_ID")
	if typ == "" {
		return nil, badRequest("ERROR_CORE", "The 'USER_TYPE_ID' field is not found.")
	}

	if !slices.Contains(userTypes, typ) {
		return nil, badRequest("ERROR_CORE", "The 'USER_TYPE_ID' field has a wrong value.")
	}

	name := strings.ToUpper(c.params.String("PARAMS", "FIELD_NAME"))
	if name == "" {
		return nil, badRequest("ERROR_CORE", "The 'FIELD_NAME' field is not found.")
	}

	return s.addUserField(name, typ, c.params.String("PARAMS", "XML_ID"))
}

func (s *state) addUserField(name, typ, xmlID string) (any, *apiError) {
	if !strings.HasPrefix(name, "UF_") {
		name = "UF_" + name
	}

	for _, f := range s.userFields {
		if f.FieldName == name {
			return nil, badRequest("ERROR_CORE", "A field named "+name+" already exists.")
		}
	}

	f := userField{ID: s.nextID(), FieldName: name, UserTypeID: typ, XMLID: xmlID}
	s.userFields = append(s.userFields, f)
	return num(f.ID), nil
}

// taskUserFieldGetList: ORDER, FILTER{ID, FIELD_NAME, USER_TYPE_ID, XML_ID}.
func taskUserFieldGetList(s *state, c *call) (any, *apiError) {
	filter := c.params.Map("FILTER")
	out := []any{}
	for _, f := range s.userFields {
		values := map[string]string{"ID": f.ID, "FIELD_NAME": f.FieldName,
			"USER_TYPE_ID": f.UserTypeID, "XML_ID": f.XMLID}
		if !matchesFilter(filter.String, values) {
			continue
		}

		out = append(out, map[string]any{
			"ID": f.ID, "ENTITY_ID": "TASKS_TASK", "FIELD_NAME": f.FieldName,
			"USER_TYPE_ID": f.UserTypeID, "XML_ID": f.XMLID, "SORT": "100",
			"MULTIPLE": "N", "MANDATORY": "N",
		})
	}

	return out, nil
}

func matchesFilter(get func(path ...string) string, values map[string]string) bool {
	for key, value := range values {
		if want := get(key); want != "" && !strings.EqualFold(want, value) {
			return false
		}
	}
	return true
}
