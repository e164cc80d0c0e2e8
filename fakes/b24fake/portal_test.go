package b24fake

import (
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const handlerURL = "https://bot.example/b24/events"

// seed registers a bot, a command, a task with a chat and a task custom field.
func seed(t *testing.T, p *Portal, token string) (botID string) {
	t.Helper()
	id := mustCall(t, p, token, "imbot.register", map[string]any{"CODE": "figma_bot",
		"EVENT_HANDLER": handlerURL, "PROPERTIES": map[string]any{"NAME": "Figma"}})
	botID = fmt.Sprint(id)
	mustCall(t, p, token, "imbot.command.register", map[string]any{"BOT_ID": botID,
		"COMMAND": "link", "EVENT_COMMAND_ADD": handlerURL,
		"LANG": []any{map[string]any{"LANGUAGE_ID": "en", "TITLE": "Link"}}})
	p.AddTask(Task{ID: "8017", Title: "Task Example", ResponsibleID: "547",
		CreatedBy: "503", ChatID: "2537"})
	mustCall(t, p, token, "task.item.userfield.add", map[string]any{
		"PARAMS": map[string]any{"USER_TYPE_ID": "string", "FIELD_NAME": "FIGMA_URL"}})
	return botID
}

// TestAnswersLikeSamples compares the shape of the fake's answers with published answers.
func TestAnswersLikeSamples(t *testing.T) {
	p, token := newPortal(t)
	botID := seed(t, p, token)
	content := []any{"a.png", base64.StdEncoding.EncodeToString([]byte("png"))}
	tests := []struct {
		method string
		params map[string]any
		sample string
		pick   func(answer map[string]any) any
	}{
		{"imbot.register", map[string]any{"CODE": "second", "EVENT_HANDLER": handlerURL,
			"PROPERTIES": map[string]any{"NAME": "B"}}, "response-imbot.register.json", whole},
		{"imbot.bot.list", nil, "response-imbot.bot.list.json", resultEntry},
		{"imbot.command.register", map[string]any{"BOT_ID": botID, "COMMAND": "help",
			"EVENT_COMMAND_ADD": handlerURL, "LANG": []any{map[string]any{
				"LANGUAGE_ID": "en", "TITLE": "Help"}}},
			"response-imbot.command.register.json", whole},
		{"imbot.message.add", map[string]any{"DIALOG_ID": "27", "MESSAGE": "hi"},
			"response-imbot.message.add.json", whole},
		{"task.item.userfield.add", map[string]any{"PARAMS": map[string]any{
			"USER_TYPE_ID": "string", "FIELD_NAME": "UF_FIGMA_PREVIEW"}},
			"response-task.item.userfield.add.json", whole},
		{"placement.bind", map[string]any{"PLACEMENT": "TASK_VIEW_TAB",
			"HANDLER": handlerURL}, "response-placement.bind.json", whole},
		{"disk.storage.getforapp", nil, "response-disk.storage.getforapp.json", whole},
		{"disk.folder.uploadfile", map[string]any{"id": rootFolderID,
			"data": map[string]any{"NAME": "a.png"}, "fileContent": content},
			"response-disk.folder.uploadfile.json", whole},
		{"disk.folder.uploadfile", map[string]any{"id": rootFolderID,
			"data": map[string]any{"NAME": "b.png"}},
			"response-disk.folder.uploadfile-uploadurl.json", whole},
		{"event.get", nil, "response-event.get.json", result},
		{"tasks.task.get", map[string]any{"taskId": "8017", "select": []any{"CHAT_ID"}},
			"response-tasks.task.get-chatId.json", result},
		{"im.chat.get", map[string]any{"ENTITY_TYPE": "TASKS_TASK", "ENTITY_ID": "8017"},
			"response-im.chat.get.json", whole},
		{"batch", map[string]any{"halt": 0, "cmd": map[string]any{
			"get_user": "user.current?ID=1", "get_department": "department.get?ID=1"}},
			"response-batch-error-halt0.json", result},
	}
	mustCall(t, p, token, "event.bind", map[string]any{"event": "ONTASKUPDATE",
		"handler": handlerURL})
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			_, got := rest(t, p, token, tt.method, tt.params)
			sameShape(t, readSample(t, tt.sample), got, tt.pick)
		})
	}

	t.Run("response-task.commentitem.add.json", func(t *testing.T) {
		body := `{"TASKID":"8017","FIELDS":{"POST_MESSAGE":"x"},"auth":"` + token + `"}`
		_, got := postRaw(t, p.ClientEndpoint()+"task.commentitem.add", "application/json",
			body)
		sameShape(t, readSample(t, "response-task.commentitem.add.json"), got, whole)
	})
}

func sameShape(t *testing.T, sample, got map[string]any, pick func(map[string]any) any) {
	t.Helper()
	if diff := cmp.Diff(shape(pick(sample)), shape(pick(got))); diff != "" {
		t.Errorf("answer shape (-sample +fake):\n%s", diff)
	}
}

func whole(a map[string]any) any { return a }

func result(a map[string]any) any { return a["result"] }

func resultEntry(a map[string]any) any { return firstValue(a["result"]) }

func TestTaskGetFields(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		sel  []any
		want map[string]any
	}{
		{"all standard fields, no custom ones", nil, nil, map[string]any{
			"id": "8017", "title": "Task Example", "status": "2", "responsibleId": "547",
			"createdBy": "503", "groupId": "", "chatId": float64(2537)}},
		{"custom field named in select", nil, []any{"ID", "UF_FIGMA_URL"}, map[string]any{
			"id": "8017", "chatId": float64(2537), "favorite": "N", "group": []any{},
			"action": map[string]any{}, "ufFigmaUrl": "https://www.figma.com/design/k"}},
		{"upper-case spelling", []Option{WithUpperCaseUF()}, []any{"UF_*"}, map[string]any{
			"id": "8017", "chatId": float64(2537), "favorite": "N", "group": []any{},
			"action": map[string]any{}, "UF_FIGMA_URL": "https://www.figma.com/design/k",
			"UF_FIGMA_PREVIEW": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, token := newPortal(t, tt.opts...)
			seed(t, p, token)
			mustCall(t, p, token, "task.item.userfield.add", map[string]any{
				"PARAMS": map[string]any{"USER_TYPE_ID": "string",
					"FIELD_NAME": "UF_FIGMA_PREVIEW"}})
			p.SetTaskField("8017", "uf_figma_url", "https://www.figma.com/design/k")
			params := map[string]any{"taskId": "8017"}
			if tt.sel != nil {
				params["select"] = tt.sel
			}

			got := mustCall(t, p, token, "tasks.task.get", params).(map[string]any)["task"]
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("task (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusals checks the errors the fake answers, with the real codes.
func TestRefusals(t *testing.T) {
	p, token := newPortal(t)
	seed(t, p, token)
	p.AddChat(Chat{ID: "5", Title: "Design", Members: []string{"27"}})
	tests := []struct {
		name   string
		method string
		params map[string]any
		token  string
		status int
		want   map[string]any // the whole answer when it has a sample, else error and desc
	}{
		{"no auth", "app.info", nil, "-", 401, errBody("NO_AUTH_FOUND",
			"Wrong authorization data")},
		{"unknown token", "app.info", nil, "nope", 401, errBody("invalid_token",
			"The access token provided is invalid.")},
		{"unknown method", "no.such.method", nil, "", 404, errBody("ERROR_METHOD_NOT_FOUND",
			"Method not found!")},
		{"bot without code", "imbot.register", map[string]any{"EVENT_HANDLER": handlerURL},
			"", 400, readSample(t, "error-imbot.register.json")},
		{"bot without name", "imbot.register", map[string]any{"CODE": "x",
			"EVENT_HANDLER": handlerURL}, "", 400, errBody("NAME_ERROR",
			"Bot name isn't specified")},
		{"bot without handler", "imbot.register", map[string]any{"CODE": "x",
			"PROPERTIES": map[string]any{"NAME": "n"}}, "", 400,
			errBody("EVENT_MESSAGE_ADD_ERROR", `Handler for "Message add" event isn't specified`)},
		{"bot code taken", "imbot.register", map[string]any{"CODE": "FIGMA_BOT",
			"EVENT_HANDLER": handlerURL, "PROPERTIES": map[string]any{"NAME": "n"}}, "", 400,
			errBody("WRONG_REQUEST", "Bot can't be created")},
		{"placement without PLACEMENT", "placement.bind", map[string]any{"HANDLER": handlerURL},
			"", 400, readSample(t, "error-placement.bind.json")},
		{"user field without type", "task.item.userfield.add", map[string]any{
			"PARAMS": map[string]any{"FIELD_NAME": "X"}}, "", 400,
			readSample(t, "error-task.item.userfield.add.json")},
		{"user field taken", "task.item.userfield.add", map[string]any{
			"PARAMS": map[string]any{"USER_TYPE_ID": "string", "FIELD_NAME": "UF_FIGMA_URL"}},
			"", 400, errBody("ERROR_CORE", "A field named UF_FIGMA_URL already exists.")},
		{"user field url type", "task.item.userfield.add", map[string]any{
			"PARAMS": map[string]any{"USER_TYPE_ID": "url", "FIELD_NAME": "UF_X"}},
			"", 400, errBody("ERROR_CORE", "The 'USER_TYPE_ID' field has a wrong value.")},
		{"message without dialog", "imbot.message.add", map[string]any{"MESSAGE": "x"}, "",
			400, errBody("DIALOG_ID_EMPTY", "Dialog ID can't be empty")},
		{"message without text", "imbot.message.add", map[string]any{"DIALOG_ID": "27",
			"MESSAGE": "  "}, "", 400, errBody("MESSAGE_EMPTY", "Message can't be empty")},
		{"bot not in chat", "imbot.message.add", map[string]any{"DIALOG_ID": "chat5",
			"MESSAGE": "x"}, "", 403, errBody("ACCESS_DENIED",
			"The bot is not a member of this chat")},
		{"attach too big", "imbot.message.add", map[string]any{"DIALOG_ID": "27",
			"ATTACH": []any{map[string]any{"MESSAGE": strings.Repeat("x", 31*1024)}}}, "",
			400, errBody("ATTACH_OVERSIZE",
				"You have exceeded the maximum allowable size of attach")},
		{"answer to unknown command", "imbot.command.answer", map[string]any{
			"COMMAND": "nope", "MESSAGE_ID": "1", "MESSAGE": "x"}, "", 400,
			errBody("COMMAND_ID_ERROR", "Command not found")},
		{"chat user add to unknown chat", "imbot.chat.user.add", map[string]any{
			"CHAT_ID": "999", "USERS": []any{"1"}}, "", 403,
			errBody("ACCESS_ERROR", "Action unavailable")},
		{"task unknown", "tasks.task.get", map[string]any{"taskId": "1"}, "", 400,
			errBody("ERROR_CORE", "Task not found or not accessible")},
		{"batch too long", "batch", map[string]any{"cmd": fiftyOne()}, "", 400,
			errBody("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")},
		{"dialog without id", "im.dialog.messages.get", nil, "", 400,
			errBody("DIALOG_ID_EMPTY", "Dialog ID can't be empty")},
		{"notify without user", "im.notify.system.add", map[string]any{"MESSAGE": "x"}, "",
			400, errBody("USER_ID_EMPTY", "User ID can't be empty")},
		{"upload to unknown folder", "disk.folder.uploadfile", map[string]any{"id": "1",
			"data": map[string]any{"NAME": "a"}}, "", 400,
			errBody("ERROR_NOT_FOUND", "Could not find entity with id '1'")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := token
			switch tt.token {
			case "-":
				tok = ""
			case "":
			default:
				tok = tt.token
			}

			status, got := rest(t, p, tok, tt.method, tt.params)
			if status != tt.status {
				t.Errorf("status = %d, want %d", status, tt.status)
			}

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

func errBody(code, desc string) map[string]any {
	return map[string]any{"error": code, "error_description": desc}
}

func fiftyOne() map[string]any {
	cmd := map[string]any{}
	for i := range 51 {
		cmd[fmt.Sprint("c", i)] = "app.info"
	}
	return cmd
}

func TestDuplicates(t *testing.T) {
	p, token := newPortal(t)
	tests := []struct {
		method string
		params map[string]any
	}{
		{"event.bind", map[string]any{"event": "OnTaskUpdate", "handler": handlerURL}},
		{"placement.bind", map[string]any{"PLACEMENT": "TASK_VIEW_TAB", "HANDLER": handlerURL}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			mustCall(t, p, token, tt.method, tt.params)
			status, got := rest(t, p, token, tt.method, tt.params)
			want := errBody("ERROR_CORE", "Handler already binded")
			if diff := cmp.Diff(want, got); diff != "" || status != 400 {
				t.Errorf("status %d, answer (-want +got):\n%s", status, diff)
			}
		})
	}

	want := []EventBinding{{Event: "ONTASKUPDATE", Handler: handlerURL}}
	if diff := cmp.Diff(want, p.EventBindings()); diff != "" {
		t.Errorf("bindings (-want +got):\n%s", diff)
	}
}

// TestCommentItemOrder checks that task.commentitem.add reads TASKID and FIELDS by position.
func TestCommentItemOrder(t *testing.T) {
	p, token := newPortal(t)
	seed(t, p, token)
	tests := []struct {
		name   string
		ctype  string
		body   string
		status int
	}{
		{"json in order", "application/json",
			`{"TASKID":"8017","FIELDS":{"POST_MESSAGE":"a","AUTHOR_ID":"503"},"auth":"TOK"}`,
			200},
		{"json reversed", "application/json",
			`{"FIELDS":{"POST_MESSAGE":"b"},"TASKID":"8017","auth":"TOK"}`, 400},
		{"form in order", "application/x-www-form-urlencoded",
			"TASKID=8017&FIELDS[POST_MESSAGE]=c&auth=TOK", 200},
		{"form reversed", "application/x-www-form-urlencoded",
			"FIELDS[POST_MESSAGE]=d&TASKID=8017&auth=TOK", 400},
		{"no text", "application/json", `{"TASKID":"8017","FIELDS":{},"auth":"TOK"}`, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.ReplaceAll(tt.body, "TOK", token)
			status, ans := postRaw(t, p.ClientEndpoint()+"task.commentitem.add", tt.ctype, body)
			if status != tt.status {
				t.Errorf("status = %d (%v), want %d", status, ans, tt.status)
			}
		})
	}

	var got []string
	for _, c := range p.TaskComments("8017") {
		got = append(got, c.AuthorID+":"+c.Message)
	}

	if diff := cmp.Diff([]string{"503:a", AdminID + ":c"}, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}

func TestBotPostsAfterJoining(t *testing.T) {
	p, token := newPortal(t)
	botID := seed(t, p, token)
	msg := map[string]any{"DIALOG_ID": "chat2537", "MESSAGE": "preview ready"}
	if status, _ := rest(t, p, token, "imbot.message.add", msg); status != 403 {
		t.Fatalf("post before joining: status %d, want 403", status)
	}

	mustCall(t, p, token, "imbot.chat.user.add", map[string]any{"CHAT_ID": "2537",
		"USERS": []any{botID}})
	id := mustCall(t, p, token, "imbot.message.add", msg)

	got := p.Messages("chat2537")
	if len(got) != 1 || got[0].Text != "preview ready" || got[0].BotID != botID ||
		got[0].ID != fmt.Sprint(id) || got[0].ChatID != "2537" || !got[0].URLPreview {
		t.Errorf("messages = %+v (id %v)", got, id)
	}

	status, ans := rest(t, p, token, "imbot.chat.user.add", map[string]any{"CHAT_ID": "2537",
		"USERS": []any{botID}})
	if status != 400 || ans["error"] != "WRONG_REQUEST" {
		t.Errorf("second join: %d %v", status, ans)
	}
}

func TestBatch(t *testing.T) {
	p, token := newPortal(t)
	seed(t, p, token)
	body := `{"halt":1,"cmd":{"b":"imbot.message.add?DIALOG_ID=27&MESSAGE=one",` +
		`"a":"disk.folder.uploadfile?id=8910","c":"imbot.message.add?DIALOG_ID=27&MESSAGE=two"},` +
		`"auth":"` + token + `"}`
	status, ans := postRaw(t, p.ClientEndpoint()+"batch", "application/json", body)
	if status != 200 {
		t.Fatalf("batch status %d: %v", status, ans)
	}

	res := ans["result"].(map[string]any)
	wantErr := map[string]any{"a": errBody("ERROR_BATCH_METHOD_NOT_ALLOWED",
		"Method is not allowed for batch usage")}
	if diff := cmp.Diff(wantErr, res["result_error"]); diff != "" {
		t.Errorf("result_error (-want +got):\n%s", diff)
	}

	results := res["result"].(map[string]any)
	if _, ok := results["b"]; !ok || len(results) != 1 {
		t.Errorf("results = %v, want only b (halt after a)", results)
	}

	if n := p.CallCount("imbot.message.add"); n != 1 {
		t.Errorf("imbot.message.add calls = %d, want 1", n)
	}
}

func TestRateLimit(t *testing.T) {
	p, token := newPortal(t)
	p.SetRate(0.001, 2)
	var statuses []int
	for range 3 {
		status, _ := rest(t, p, token, "app.info", nil)
		statuses = append(statuses, status)
	}

	_, ans := rest(t, p, token, "app.info", nil)
	if diff := cmp.Diff([]int{200, 200, 503}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	if ans["error"] != "QUERY_LIMIT_EXCEEDED" {
		t.Errorf("answer = %v", ans)
	}

	p.SetRate(0, 0)
	if status, _ := rest(t, p, token, "app.info", nil); status != 200 {
		t.Errorf("after removing the limit: status %d", status)
	}
}

func TestFail(t *testing.T) {
	p, token := newPortal(t)
	p.Fail("App.Info", Fault{Status: 500, Code: "INTERNAL_SERVER_ERROR",
		Description: "boom", Times: 2})
	var got []string
	for range 3 {
		status, ans := rest(t, p, token, "app.info", nil)
		got = append(got, fmt.Sprintf("%d %v", status, ans["error"]))
	}

	want := []string{"500 INTERNAL_SERVER_ERROR", "500 INTERNAL_SERVER_ERROR", "200 <nil>"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}

	var recorded []int
	for _, c := range p.Calls() {
		recorded = append(recorded, c.Status)
	}

	if diff := cmp.Diff([]int{500, 500, 200}, recorded); diff != "" {
		t.Errorf("recorded statuses (-want +got):\n%s", diff)
	}
}

func TestExpireAccessTokens(t *testing.T) {
	p, token := newPortal(t)
	p.ExpireAccessTokens()
	status, ans := rest(t, p, token, "app.info", nil)
	want := errBody("expired_token", "The access token provided has expired.")
	if diff := cmp.Diff(want, ans); diff != "" || status != 401 {
		t.Errorf("status %d, answer (-want +got):\n%s", status, diff)
	}

	fresh, _ := p.IssueTokens()
	if status, _ := rest(t, p, fresh, "app.info", nil); status != 200 {
		t.Errorf("fresh token: status %d", status)
	}
}

func TestCallsHoldNoTokens(t *testing.T) {
	p, token := newPortal(t)
	mustCall(t, p, token, "app.info", map[string]any{"x": "1"})
	postRaw(t, p.ClientEndpoint()+"app.info?auth="+token, "application/json", "")
	calls := p.Calls()
	if len(calls) != 2 {
		t.Fatalf("%d calls recorded", len(calls))
	}

	for _, c := range calls {
		if fmt.Sprint(c.Params) != "map[x:1]" && fmt.Sprint(c.Params) != "map[]" ||
			strings.Contains(fmt.Sprint(c), token) {
			t.Errorf("call %+v", c)
		}
	}
}

func TestMoveTo(t *testing.T) {
	p, token := newPortal(t)
	moved := New()
	t.Cleanup(moved.Close)
	p.MoveTo(moved)

	status, _ := postRaw(t, p.ClientEndpoint()+"app.info?x=1", "application/json",
		`{"auth":"`+token+`"}`)
	if status != 302 {
		t.Fatalf("old portal status %d, want 302", status)
	}

	if status, _ := rest(t, moved, token, "app.info", nil); status != 200 {
		t.Errorf("new portal refused the moved portal's token: %d", status)
	}

	if p.MemberID() != moved.MemberID() || moved.CallCount("app.info") != 1 {
		t.Errorf("the new portal does not serve the old one's data")
	}
}

// TestCloseLeavesNoGoroutine checks that Close waits for the server's goroutines.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	p := New()
	access, _ := p.IssueTokens()
	for range 3 {
		mustCall(t, p, access, "app.info", nil)
	}

	p.Close()
	// Connection goroutines of other tests in this package may still be winding down, so the
	// check polls for a bounded time before it calls a goroutine left over.
	frames := []string{"b24fake.(*Portal).serveHTTP", "httptest.(*Server)",
		"net/http.(*conn).serve"}
	var left []string
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		left = left[:0]
		for _, frame := range frames {
			if strings.Contains(stacks, frame) {
				left = append(left, frame)
			}
		}
		if len(left) == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("goroutines left after Close: %v", left)
}
