package b24

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// portalAuth is the auth every sample shares; with adds the event's own fields.
func portalAuth(with func(a *EventAuth)) EventAuth {
	a := EventAuth{
		MemberID:         "XXXX_MEMBER_ID_1",
		Domain:           "example.bitrix24.com",
		ClientEndpoint:   "https://example.bitrix24.com/rest/",
		ServerEndpoint:   "https://oauth.bitrix.info/rest/",
		ApplicationToken: "XXXX_APPLICATION_TOKEN_1",
	}
	if with != nil {
		with(&a)
	}
	return a
}

// userAuth is the auth of the chat bot samples: the acting user's token.
func userAuth(expires, userID, refresh string) EventAuth {
	return portalAuth(func(a *EventAuth) {
		a.AccessToken = "XXXX_ACCESS_TOKEN_2"
		a.RefreshToken = refresh
		a.Expires = expires
		a.ExpiresIn = "3600"
		a.Scope = []string{"imbot"}
		a.Status = "F"
		a.UserID = userID
	})
}

func taskAuth() EventAuth {
	return portalAuth(func(a *EventAuth) {
		a.AccessToken = "XXXX_ACCESS_TOKEN_1"
		a.RefreshToken = "XXXX_REFRESH_TOKEN_1"
		a.ExpiresIn = "3600"
		a.Scope = []string{"task"}
		a.Status = "F"
	})
}

var testUser = User{ID: "27", Name: "Test User", FirstName: "Test", LastName: "User"}

var commandUser = User{ID: "1269", Name: "Test User", FirstName: "Test", LastName: "User"}

var groupCommandParams = MessageParams{
	DialogID: "chat2725", ChatID: "2725", MessageID: "33871", FromUserID: "1269",
	AuthorID: "1269", Message: "/echo test", ChatType: "C", MessageType: "C",
	ChatTitle: "New chat name", ChatEntityType: "CHAT", ChatEntityID: "13", Language: "en",
}

var echo99 = Command{ID: "99", BotID: "1291", BotCode: "BOT_GM", Command: "echo",
	Params: "test", Context: "TEXTAREA", MessageID: "33871"}

func sampleEvents() map[string]Event {
	return map[string]Event{
		"event-ONAPPINSTALL": {
			Name: "ONAPPINSTALL", TS: "1696527000",
			Auth: portalAuth(func(a *EventAuth) {
				a.AccessToken, a.RefreshToken = "XXXX_ACCESS_TOKEN_1", "XXXX_REFRESH_TOKEN_1"
				a.ExpiresIn, a.Scope, a.Status = "3600", []string{"imbot"}, "F"
			}),
			Install: &InstallEvent{LanguageID: "de", Version: "1.0.0", Active: "Y",
				Installed: "Y"},
		},
		"event-ONAPPUNINSTALL": {
			Name: "ONAPPUNINSTALL", TS: "1466439714", Auth: portalAuth(nil),
			Uninstall: &UninstallEvent{Clean: true},
		},
		"event-ONIMBOTDELETE": {
			Name: "ONIMBOTDELETE", TS: "1772090363",
			Auth: portalAuth(func(a *EventAuth) {
				a.AccessToken, a.Expires, a.ExpiresIn = "XXXX_ACCESS_TOKEN_1", "1772093963", "3600"
				a.Scope, a.Status, a.UserID = []string{"imbot"}, "F", "27"
			}),
			BotDelete: &BotDeleteEvent{BotID: "567", BotCode: "BOT"},
		},
		"event-ONIMBOTJOINCHAT-group": {
			Name: "ONIMBOTJOINCHAT", TS: "1772094525", Auth: userAuth("1772098126", "27", ""),
			Join: &JoinEvent{BotID: "571", DialogID: "chat1157", ChatID: "1157", ChatType: "C",
				ChatEntityType: "THREAD", UserID: "27", Language: "de", User: testUser},
		},
		"event-ONIMBOTJOINCHAT-private": {
			Name: "ONIMBOTJOINCHAT", TS: "1772090839", Auth: userAuth("1772094439", "27", ""),
			Join: &JoinEvent{BotID: "571", DialogID: "27", ChatType: "P", UserID: "27",
				Language: "de", User: testUser},
		},
		"event-ONIMBOTMESSAGEADD-group": {
			Name: "ONIMBOTMESSAGEADD", TS: "1771940028",
			Auth: userAuth("1771943628", "27", "XXXX_REFRESH_TOKEN_2"),
			Message: &MessageEvent{BotIDs: []string{"567"}, User: testUser,
				Message: MessageParams{
					DialogID: "chat1157", ChatID: "1157", MessageID: "84351", FromUserID: "27",
					AuthorID: "27", Message: ", how to set up the left menu",
					MessageOriginal: "[USER=567]NewBot[/USER] , how to set up the left menu",
					ChatType:        "C", MessageType: "C", ChatTitle: "Brown Chat #18",
					ChatEntityType: "THREAD", Language: "en",
				}},
		},
		"event-ONIMBOTMESSAGEADD-private": {
			Name: "ONIMBOTMESSAGEADD", TS: "1771928985",
			Auth: func() EventAuth {
				a := userAuth("1771932585", "27", "XXXX_REFRESH_TOKEN_2")
				a.ApplicationToken = "XXXX_APPLICATION_TOKEN_2"
				return a
			}(),
			Message: &MessageEvent{BotIDs: []string{"567"}, User: testUser,
				Message: MessageParams{
					DialogID: "27", ChatID: "1407", MessageID: "84331", FromUserID: "27",
					AuthorID: "27", Message: "Hello", ChatType: "P", MessageType: "P",
					Language: "en",
				}},
		},
		"event-ONIMCOMMANDADD-group": {
			Name: "ONIMCOMMANDADD", TS: "1772097199",
			Auth: userAuth("1772100799", "1269", "XXXX_REFRESH_TOKEN_2"),
			Commands: &CommandEvent{Commands: []Command{echo99}, Message: groupCommandParams,
				User: commandUser},
		},
		"event-ONIMCOMMANDADD-private": {
			Name: "ONIMCOMMANDADD", TS: "1772109486",
			Auth: userAuth("1772113086", "1269", "XXXX_REFRESH_TOKEN_2"),
			Commands: &CommandEvent{
				Commands: []Command{{ID: "103", BotID: "1291", BotCode: "BOT_GM",
					Command: "echo", Params: "test", Context: "TEXTAREA", MessageID: "33899"}},
				Message: MessageParams{DialogID: "1269", ChatID: "2737", MessageID: "33899",
					FromUserID: "1269", AuthorID: "1269", Message: "/echo test",
					ChatType: "P", MessageType: "P", Language: "en"},
				User: commandUser,
			},
		},
		"event-ONIMCOMMANDADD-two": {
			Name: "ONIMCOMMANDADD", TS: "1772097199",
			Auth: userAuth("1772100799", "1269", "XXXX_REFRESH_TOKEN_2"),
			Commands: &CommandEvent{
				Commands: []Command{echo99, {ID: "101", BotID: "1291", BotCode: "BOT_GM",
					Command: "link", Params: "https://www.figma.com/design/abc/X",
					Context: "TEXTAREA", MessageID: "33871"}},
				Message: func() MessageParams {
					p := groupCommandParams
					p.Message = "/echo test\n/link https://www.figma.com/design/abc/X"
					return p
				}(),
				User: commandUser,
			},
		},
		"event-ONTASKADD": {
			Name: "ONTASKADD", TS: "1466439714", Auth: taskAuth(),
			Task: &TaskEvent{TaskID: "123"},
		},
		"event-ONTASKUPDATE": {
			Name: "ONTASKUPDATE", TS: "1466439714", Auth: taskAuth(),
			Task: &TaskEvent{TaskID: "123"},
		},
		"event-ONTASKCOMMENTADD-classic": {
			Name: "ONTASKCOMMENTADD", TS: "1466439714", Auth: taskAuth(),
			TaskComment: &TaskCommentEvent{TaskID: "555", CommentID: "123"},
		},
		"event-ONTASKCOMMENTADD-newcard": {
			Name: "ONTASKCOMMENTADD", TS: "1466439715", Auth: taskAuth(),
			TaskComment: &TaskCommentEvent{TaskID: "555", CommentID: "0", MessageID: "1458"},
		},
	}
}

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestParseEventSamples parses every event sample in both encodings; each must give the same
// typed event, and the two bodies the same Values.
func TestParseEventSamples(t *testing.T) {
	for base, want := range sampleEvents() {
		t.Run(base, func(t *testing.T) {
			fromForm, err := ParseBody(formType, readSample(t, base+".form.txt"))
			if err != nil {
				t.Fatalf("form: %v", err)
			}

			fromJSON, err := ParseBody("application/json", readSample(t, base+".json"))
			if err != nil {
				t.Fatalf("json: %v", err)
			}

			if diff := cmp.Diff(fromJSON, fromForm); diff != "" {
				t.Errorf("Values differ (-json +form):\n%s", diff)
			}

			for enc, v := range map[string]Values{"form": fromForm, "json": fromJSON} {
				got, err := ParseEvent(v)
				if err != nil {
					t.Fatalf("%s: ParseEvent: %v", enc, err)
				}

				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: ParseEvent (-want +got):\n%s", enc, diff)
				}
			}
		})
	}
}

func TestParseEventUnknown(t *testing.T) {
	name := "event-ONCRMLEADADD-outgoing-webhook.captured.form.txt"
	v, err := ParseBody(formType, readSample(t, name))
	if err != nil {
		t.Fatal(err)
	}

	got, err := ParseEvent(v)
	if err != nil {
		t.Fatalf("ParseEvent: %v", err)
	}

	want := Event{Name: "ONCRMLEADADD", TS: "1545851621", Auth: portalAuth(nil)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseEvent (-want +got):\n%s", diff)
	}
}

func TestParseEventRefuses(t *testing.T) {
	tests := []struct {
		name string
		ct   string
		body string
	}{
		{"no member_id (v2 envelope)", "application/json",
			string(readSample(t, "event-ONIMBOTV2-webhook-envelope.json"))},
		{"no event name", formType, "auth[member_id]=m&ts=1"},
		{"task without id", formType,
			"event=ONTASKADD&data[FIELDS_BEFORE]=undefined&data[FIELDS_AFTER]=undefined" +
				"&auth[member_id]=m"},
		{"command without data[COMMAND]", formType,
			"event=ONIMCOMMANDADD&data[PARAMS][MESSAGE_ID]=1&auth[member_id]=m"},
		{"message without MESSAGE_ID", formType,
			"event=ONIMBOTMESSAGEADD&data[PARAMS][DIALOG_ID]=1&auth[member_id]=m"},
		{"join without DIALOG_ID", formType, "event=ONIMBOTJOINCHAT&auth[member_id]=m"},
		{"bot delete without BOT_ID", formType, "event=ONIMBOTDELETE&auth[member_id]=m"},
		{"task comment without TASK_ID", formType,
			"event=ONTASKCOMMENTADD&data[FIELDS_AFTER][ID]=5&auth[member_id]=m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseBody(tt.ct, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}

			if _, err := ParseEvent(v); !errors.Is(err, ErrBadEvent) {
				t.Fatalf("ParseEvent error = %v, want ErrBadEvent", err)
			}
		})
	}
}

func TestParseEventDetails(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
	}{
		{
			name: "lower-case name, comma scope, delete reads FIELDS_BEFORE",
			body: "event=onTaskDelete&data[FIELDS_BEFORE][ID]=9&data[FIELDS_AFTER]=undefined" +
				"&auth[member_id]=m&auth[scope]=task,imbot+placement&ts=5",
			want: Event{Name: "ONTASKDELETE", TS: "5",
				Auth: EventAuth{MemberID: "m", Scope: []string{"task", "imbot", "placement"}},
				Task: &TaskEvent{TaskID: "9"}},
		},
		{
			name: "uninstall without clean",
			body: "event=ONAPPUNINSTALL&data[CLEAN]=0&auth[member_id]=m",
			want: Event{Name: "ONAPPUNINSTALL", Auth: EventAuth{MemberID: "m"},
				Uninstall: &UninstallEvent{}},
		},
		{
			name: "command id from the key when COMMAND_ID is missing",
			body: "event=ONIMCOMMANDADD&data[COMMAND][7][COMMAND]=help&auth[member_id]=m",
			want: Event{Name: "ONIMCOMMANDADD", Auth: EventAuth{MemberID: "m"},
				Commands: &CommandEvent{Commands: []Command{{ID: "7", Command: "help"}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ParseBody(formType, []byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}

			got, err := ParseEvent(v)
			if err != nil {
				t.Fatal(err)
			}

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDedupKey(t *testing.T) {
	events := sampleEvents()
	tests := []struct {
		sample string
		want   string
	}{
		{"event-ONIMCOMMANDADD-group", "XXXX_MEMBER_ID_1:ONIMCOMMANDADD:33871:1772097199"},
		{"event-ONIMBOTMESSAGEADD-group",
			"XXXX_MEMBER_ID_1:ONIMBOTMESSAGEADD:84351:1771940028"},
		{"event-ONTASKUPDATE", "XXXX_MEMBER_ID_1:ONTASKUPDATE:123:1466439714"},
		{"event-ONTASKCOMMENTADD-classic",
			"XXXX_MEMBER_ID_1:ONTASKCOMMENTADD:555/c123:1466439714"},
		{"event-ONTASKCOMMENTADD-newcard",
			"XXXX_MEMBER_ID_1:ONTASKCOMMENTADD:555/m1458:1466439715"},
		{"event-ONIMBOTJOINCHAT-group",
			"XXXX_MEMBER_ID_1:ONIMBOTJOINCHAT:chat1157:1772094525"},
		{"event-ONIMBOTDELETE", "XXXX_MEMBER_ID_1:ONIMBOTDELETE:567:1772090363"},
		{"event-ONAPPINSTALL", "XXXX_MEMBER_ID_1:ONAPPINSTALL::1696527000"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			if got := events[tt.sample].DedupKey(); got != tt.want {
				t.Errorf("DedupKey = %q, want %q", got, tt.want)
			}
		})
	}
}
