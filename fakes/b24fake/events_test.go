package b24fake

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/figbot/figbot/b24"
	"github.com/google/go-cmp/cmp"
)

// parse reads a built event the way the bot does.
func parse(t *testing.T, v url.Values) b24.Event {
	t.Helper()
	values, err := b24.ParseBody("application/x-www-form-urlencoded", []byte(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}

	e, err := b24.ParseEvent(values)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// checkAuth checks the event's portal data and that its access token works here.
func checkAuth(t *testing.T, p *Portal, e b24.Event, wantUser string) {
	t.Helper()
	got := []string{e.Auth.MemberID, e.Auth.ApplicationToken, e.Auth.ClientEndpoint,
		e.Auth.UserID}
	want := []string{p.MemberID(), p.ApplicationToken(), p.ClientEndpoint(), wantUser}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("auth (-want +got):\n%s", diff)
	}

	if status, ans := rest(t, p, e.Auth.AccessToken, "app.info", nil); status != 200 {
		t.Errorf("event token refused: %d %v", status, ans)
	}
}

func TestInstallAndUninstallEvents(t *testing.T) {
	p, _ := newPortal(t)
	install := parse(t, p.InstallEvent("https://bot.example/b24/install"))
	checkAuth(t, p, install, AdminID)
	want := &b24.InstallEvent{LanguageID: "en", Version: "1", Active: "Y", Installed: "Y"}
	if diff := cmp.Diff(want, install.Install); diff != "" || install.Auth.RefreshToken == "" {
		t.Errorf("install (-want +got):\n%s", diff)
	}

	if p.InstallHandler() != "https://bot.example/b24/install" {
		t.Errorf("InstallHandler = %q", p.InstallHandler())
	}

	un := parse(t, p.UninstallEvent())
	if un.Uninstall == nil || un.Auth.AccessToken != "" || un.Auth.ApplicationToken !=
		p.ApplicationToken() || un.TS <= install.TS {
		t.Errorf("uninstall = %+v (install ts %s)", un, install.TS)
	}
}

func TestCommandEvent(t *testing.T) {
	p, token := newPortal(t)
	botID := seed(t, p, token)
	if v := p.CommandEvent("chat77", "27", "nope", ""); v != nil {
		t.Errorf("event for an unregistered command: %v", v)
	}

	e := parse(t, p.CommandEvent("chat77", "27", "link", "https://www.figma.com/design/k"))
	checkAuth(t, p, e, "27")
	cmd := e.Commands.Commands[0]
	want := b24.Command{ID: cmd.ID, BotID: botID, BotCode: "figma_bot", Command: "link",
		Params: "https://www.figma.com/design/k", Context: "TEXTAREA",
		MessageID: e.Commands.Message.MessageID}
	if diff := cmp.Diff(want, cmd); diff != "" || cmd.ID == "" || cmd.MessageID == "" {
		t.Errorf("command (-want +got):\n%s", diff)
	}

	wantMsg := b24.MessageParams{DialogID: "chat77", ChatID: "77", MessageID: cmd.MessageID,
		FromUserID: "27", AuthorID: "27", Message: "/link https://www.figma.com/design/k",
		ChatType: "C", MessageType: "C", ChatTitle: "Chat 77", Language: "en"}
	if diff := cmp.Diff(wantMsg, e.Commands.Message); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}

	mustCall(t, p, token, "imbot.command.answer", map[string]any{"COMMAND_ID": cmd.ID,
		"MESSAGE_ID": cmd.MessageID, "MESSAGE": "Linked."})
	mustCall(t, p, token, "imbot.message.add", map[string]any{"DIALOG_ID": "chat77",
		"MESSAGE": "The bot is in the chat the command came from."})
	var texts []string
	for _, m := range p.Messages("chat77") {
		texts = append(texts, m.Method+": "+m.Text)
	}

	wantTexts := []string{"imbot.command.answer: Linked.",
		"imbot.message.add: The bot is in the chat the command came from."}
	if diff := cmp.Diff(wantTexts, texts); diff != "" {
		t.Errorf("bot messages (-want +got):\n%s", diff)
	}
}

func TestMessageAndJoinEvents(t *testing.T) {
	p, token := newPortal(t)
	if p.MessageEvent("27", "27", "hi") != nil || p.JoinEvent("chat1", "27") != nil {
		t.Fatal("events built with no bot registered")
	}

	botID := seed(t, p, token)
	p.AddUser(User{ID: "27", Name: "Test User", FirstName: "Test", LastName: "User"})
	msg := parse(t, p.MessageEvent("27", "27", "Hello"))
	checkAuth(t, p, msg, "27")
	if diff := cmp.Diff([]string{botID}, msg.Message.BotIDs); diff != "" {
		t.Errorf("BotIDs (-want +got):\n%s", diff)
	}

	wantUser := b24.User{ID: "27", Name: "Test User", FirstName: "Test", LastName: "User"}
	if msg.Message.Message.Message != "Hello" || msg.Message.Message.ChatType != "P" ||
		msg.Message.User != wantUser {
		t.Errorf("message event = %+v", msg.Message)
	}

	join := parse(t, p.JoinEvent("chat2537", "547"))
	want := &b24.JoinEvent{BotID: botID, DialogID: "chat2537", ChatID: "2537", ChatType: "C",
		ChatEntityType: "TASKS_TASK", ChatEntityID: "8017", UserID: "547", Language: "en",
		User: b24.User{ID: "547", Name: "User 547", FirstName: "User", LastName: "547"}}
	if diff := cmp.Diff(want, join.Join); diff != "" {
		t.Errorf("join (-want +got):\n%s", diff)
	}

	if chat, _ := p.Chat("2537"); !containsFold(chat.Members, botID) {
		t.Errorf("bot not a member after joining: %v", chat.Members)
	}
}

func TestTaskEvents(t *testing.T) {
	p, _ := newPortal(t)
	tests := []struct {
		event string
		body  url.Values
		want  b24.Event
	}{
		{"add", p.TaskEvent("OnTaskAdd", "31"),
			b24.Event{Name: "ONTASKADD", Task: &b24.TaskEvent{TaskID: "31"}}},
		{"update", p.TaskEvent("ONTASKUPDATE", "31"),
			b24.Event{Name: "ONTASKUPDATE", Task: &b24.TaskEvent{TaskID: "31"}}},
		{"delete", p.TaskEvent("ONTASKDELETE", "31"),
			b24.Event{Name: "ONTASKDELETE", Task: &b24.TaskEvent{TaskID: "31"}}},
		{"classic comment", p.TaskCommentEvent("31", "77", ""),
			b24.Event{Name: "ONTASKCOMMENTADD",
				TaskComment: &b24.TaskCommentEvent{TaskID: "31", CommentID: "77"}}},
		{"new-card comment", p.TaskCommentEvent("31", "", "1458"),
			b24.Event{Name: "ONTASKCOMMENTADD", TaskComment: &b24.TaskCommentEvent{
				TaskID: "31", CommentID: "0", MessageID: "1458"}}},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			got := parse(t, tt.body)
			checkAuth(t, p, got, AdminID)
			got.TS, got.Auth = "", b24.EventAuth{}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}

	if add, upd := tests[0].body, tests[1].body; add.Get("data[FIELDS_BEFORE]") != "undefined" ||
		add.Get("ts") == upd.Get("ts") {
		t.Errorf("ONTASKADD body %v, ts of two events equal", add)
	}
}

func TestNewCardCommentFlow(t *testing.T) {
	p, token := newPortal(t)
	seed(t, p, token)
	msgID := p.PostUserMessage("chat2537", "547", "Please check the header")
	mustCall(t, p, token, "imbot.chat.user.add", map[string]any{"CHAT_ID": "2537",
		"USERS": []any{p.Bots()[0].ID}})
	reply := mustCall(t, p, token, "imbot.message.add", map[string]any{
		"DIALOG_ID": "chat2537", "MESSAGE": "Sent to Figma"})

	res := mustCall(t, p, token, "im.dialog.messages.get", map[string]any{
		"DIALOG_ID": "chat2537", "FIRST_ID": "0"}).(map[string]any)
	var got []string
	for _, m := range res["messages"].([]any) {
		mm := m.(map[string]any)
		got = append(got, cmpString(mm["id"])+"/"+cmpString(mm["author_id"])+"/"+
			mm["text"].(string))
	}

	want := []string{msgID + "/547/Please check the header",
		cmpString(reply) + "/" + p.Bots()[0].ID + "/Sent to Figma"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

func cmpString(v any) string {
	if f, ok := v.(float64); ok {
		return itoa64(int64(f))
	}
	return v.(string)
}

func TestDeliver(t *testing.T) {
	p, _ := newPortal(t)
	var got url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" &&
			r.ParseForm() == nil {
			got = r.PostForm
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)

	body := p.TaskEvent("ONTASKUPDATE", "9")
	status, err := p.Deliver(t.Context(), srv.URL, body)
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("Deliver = %d, %v", status, err)
	}

	if diff := cmp.Diff(body, got); diff != "" {
		t.Errorf("delivered body (-want +got):\n%s", diff)
	}
}
