package b24_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/google/go-cmp/cmp"
)

// portalSource keeps one portal's credentials in memory and refreshes them through the fake's
// OAuth server, as the bot's Redis source does.
type portalSource struct {
	mu    sync.Mutex
	creds b24.Credentials
	oauth *b24.OAuth
	moved []string
}

func (s *portalSource) Credentials(context.Context, string) (b24.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds, nil
}

func (s *portalSource) Refresh(ctx context.Context, _ string,
	stale b24.Credentials) (b24.Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creds.AccessToken != stale.AccessToken {
		return s.creds, nil
	}

	tok, err := s.oauth.Refresh(ctx, s.creds.RefreshToken)
	if err != nil {
		return b24.Credentials{}, err
	}

	s.creds.AccessToken, s.creds.RefreshToken, s.creds.Expires =
		tok.AccessToken, tok.RefreshToken, tok.Expires
	return s.creds, nil
}

func (s *portalSource) EndpointMoved(_ context.Context, _, endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moved = append(s.moved, endpoint)
	s.creds.ClientEndpoint = endpoint
	return nil
}

var loopback = b24.HostPolicy{Patterns: []string{"127.0.0.1"}, AllowHTTP: true}

// install starts a fake portal, installs the app from its ONAPPINSTALL event and returns a
// client for it.
func install(t *testing.T) (*b24fake.Portal, *b24.Client, *portalSource, string) {
	t.Helper()
	p := b24fake.New()
	t.Cleanup(p.Close)

	form := []byte(p.InstallEvent("https://bot.example/b24/install").Encode())
	v, err := b24.ParseBody("application/x-www-form-urlencoded", form)
	if err != nil {
		t.Fatal(err)
	}

	e, err := b24.ParseEvent(v)
	if err != nil {
		t.Fatal(err)
	}

	src := &portalSource{
		creds: b24.Credentials{MemberID: e.Auth.MemberID, Domain: e.Auth.Domain,
			ClientEndpoint: e.Auth.ClientEndpoint, AccessToken: e.Auth.AccessToken,
			RefreshToken: e.Auth.RefreshToken},
		oauth: &b24.OAuth{BaseURL: p.OAuthURL(), ClientID: p.ClientID(),
			ClientSecret: p.ClientSecret(), HTTP: &http.Client{Timeout: 5 * time.Second}},
	}
	return p, b24.NewClient(src, b24.WithHostPolicy(loopback)), src, e.Auth.MemberID
}

func check(t *testing.T, what string, want, got any) {
	t.Helper()
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}

func must[T any](t *testing.T) func(v T, err error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestInstallFlow(t *testing.T) {
	p, c, _, member := install(t)
	ctx := t.Context()

	info := must[b24.AppInfo](t)(c.AppInfo(ctx, member))
	check(t, "app.info", b24.AppInfo{ID: "7", Code: "local.fake.app", Version: "1",
		Status: "L", Installed: true}, info)
	check(t, "bots before register", map[string]b24.Bot{},
		must[map[string]b24.Bot](t)(c.BotList(ctx, member)))

	reg := b24.BotRegistration{Code: "figma_bot", EventHandler: "https://bot.example/b24/events",
		Properties: b24.BotProperties{Name: "Figma", Color: "PURPLE"}}
	botID := must[string](t)(c.RegisterBot(ctx, member, reg))
	var ae *b24.APIError
	if _, err := c.RegisterBot(ctx, member, reg); !errors.As(err, &ae) ||
		ae.Code != "WRONG_REQUEST" {
		t.Errorf("second RegisterBot error = %v", err)
	}

	check(t, "bots", map[string]b24.Bot{botID: {ID: botID, Code: "figma_bot", Name: "Figma"}},
		must[map[string]b24.Bot](t)(c.BotList(ctx, member)))

	cmd := b24.CommandRegistration{BotID: botID, Command: "link",
		EventCommandAdd: "https://bot.example/b24/events",
		Lang:            []b24.CommandLang{{LanguageID: "en", Title: "Link a Figma file"}}}
	cmdID := must[string](t)(c.RegisterCommand(ctx, member, cmd))
	check(t, "command id on re-register", cmdID,
		must[string](t)(c.RegisterCommand(ctx, member, cmd)))

	for range 2 {
		err := c.EventBind(ctx, member, "ONTASKUPDATE", "https://bot.example/b24/events")
		if err != nil && !errors.Is(err, b24.ErrAlreadyExists) {
			t.Fatal(err)
		}
	}

	check(t, "event.get", []b24.EventBinding{{Event: "ONTASKUPDATE",
		Handler: "https://bot.example/b24/events", AuthType: "0"}},
		must[[]b24.EventBinding](t)(c.EventGet(ctx, member)))

	pb := b24.PlacementBinding{Placement: "TASK_VIEW_TAB", Title: "Figma",
		Handler: "https://bot.example/b24/placement/task"}
	if err := c.PlacementBind(ctx, member, pb); err != nil {
		t.Fatal(err)
	}

	if err := c.PlacementBind(ctx, member, pb); !errors.Is(err, b24.ErrAlreadyExists) {
		t.Errorf("second PlacementBind error = %v", err)
	}

	check(t, "placement.get", []b24.PlacementBinding{pb},
		must[[]b24.PlacementBinding](t)(c.PlacementGet(ctx, member)))

	uf := b24.UserField{FieldName: "UF_FIGMA_URL", UserTypeID: "string", Label: "Figma"}
	ufID := must[string](t)(c.UserFieldAdd(ctx, member, uf))
	if _, err := c.UserFieldAdd(ctx, member, uf); !errors.Is(err, b24.ErrAlreadyExists) {
		t.Errorf("second UserFieldAdd error = %v", err)
	}

	check(t, "userfield list", []b24.UserFieldInfo{{ID: ufID, FieldName: "UF_FIGMA_URL",
		UserTypeID: "string"}}, must[[]b24.UserFieldInfo](t)(c.UserFieldList(ctx, member,
		"UF_FIGMA_URL")))
	check(t, "fake's bots", 1, len(p.Bots()))
}

func TestTasksAndComments(t *testing.T) {
	p, c, _, member := install(t)
	ctx := t.Context()
	p.AddTask(b24fake.Task{ID: "31", Title: "Header", ResponsibleID: "547", CreatedBy: "1",
		GroupID: "11",
		Fields:  map[string]string{"UF_FIGMA_URL": "https://www.figma.com/design/k"}})
	p.SetTaskStatus("31", "4")

	task := must[b24.Task](t)(c.TaskGet(ctx, member, "31", []string{"ID", "UF_FIGMA_URL"}))
	check(t, "task", b24.Task{ID: "31", ChatID: "0",
		UF: map[string]string{"UF_FIGMA_URL": "https://www.figma.com/design/k"}}, task)
	full := must[b24.Task](t)(c.TaskGet(ctx, member, "31", nil))
	check(t, "task without select", b24.Task{ID: "31", Title: "Header", Status: "4",
		ResponsibleID: "547", CreatedBy: "1", GroupID: "11", ChatID: "0",
		UF: map[string]string{}}, full)

	err := c.TaskUpdate(ctx, member, "31", map[string]any{"UF_FIGMA_PREVIEW": "https://x/y"})
	if err != nil {
		t.Fatal(err)
	}

	if got, _ := p.Task("31"); got.Fields["UF_FIGMA_PREVIEW"] != "https://x/y" {
		t.Errorf("task fields after update = %v", got.Fields)
	}

	id := must[string](t)(c.CommentItemAdd(ctx, member, "31", "547", "New version"))
	got := must[b24.TaskComment](t)(c.CommentItemGet(ctx, member, "31", id))
	got.PostDate = ""
	check(t, "comment", b24.TaskComment{ID: id, AuthorID: "547", AuthorName: "",
		Message: "New version"}, got)
	check(t, "fake comments", 1, len(p.TaskComments("31")))

	if _, err := c.TaskGet(ctx, member, "999", nil); err == nil {
		t.Error("TaskGet of an unknown task = nil error")
	}
}

func TestChatsAndMessages(t *testing.T) {
	p, c, _, member := install(t)
	ctx := t.Context()
	botID := must[string](t)(c.RegisterBot(ctx, member, b24.BotRegistration{Code: "figma_bot",
		EventHandler: "https://bot.example/b24/events", Properties: b24.BotProperties{Name: "F"}}))
	must[string](t)(c.RegisterCommand(ctx, member, b24.CommandRegistration{BotID: botID,
		Command: "help", EventCommandAdd: "https://bot.example/b24/events",
		Lang: []b24.CommandLang{{LanguageID: "en", Title: "Help"}}}))
	p.AddTask(b24fake.Task{ID: "51", Title: "New card", ResponsibleID: "547", ChatID: "2537"})

	body := p.CommandEvent("chat12", "27", "help", "")
	v := must[b24.Values](t)(b24.ParseBody("application/x-www-form-urlencoded",
		[]byte(body.Encode())))
	e := must[b24.Event](t)(b24.ParseEvent(v))
	cmd := e.Commands.Commands[0]
	must[string](t)(c.CommandAnswer(ctx, member, b24.CommandReply{CommandID: cmd.ID,
		MessageID: cmd.MessageID, Message: "Commands: /link"}))

	msg := b24.Message{DialogID: "chat2537", Message: "Preview [b]ready[/b]",
		Attach: []any{map[string]any{"MESSAGE": "x"}}}
	if _, err := c.MessageAdd(ctx, member, msg); !errors.Is(err, b24.ErrAccessDenied) {
		t.Errorf("post before joining: %v", err)
	}

	chatID := must[string](t)(c.ChatGet(ctx, member, "TASKS_TASK", "51"))
	if err := c.ChatUserAdd(ctx, member, botID, chatID, []string{botID}); err != nil {
		t.Fatal(err)
	}

	msgID := must[string](t)(c.MessageAdd(ctx, member, msg))
	if _, err := c.ChatGet(ctx, member, "SONET_GROUP", "11"); !errors.Is(err, b24.ErrNotFound) {
		t.Errorf("ChatGet of a missing chat: %v", err)
	}

	var texts []string
	for _, dialog := range []string{"chat12", "chat2537"} {
		for _, m := range p.Messages(dialog) {
			texts = append(texts, dialog+" "+m.Method+" "+m.Text)
		}
	}

	check(t, "bot messages", []string{"chat12 imbot.command.answer Commands: /link",
		"chat2537 imbot.message.add Preview [b]ready[/b]"}, texts)

	userMsg := p.PostUserMessage("chat2537", "547", "Looks good")
	got := must[b24.ChatMessage](t)(c.MessageByID(ctx, member, "chat2537", userMsg))
	got.Date = ""
	check(t, "message by id", b24.ChatMessage{ID: userMsg, ChatID: "2537", AuthorID: "547",
		Text: "Looks good"}, got)
	if _, err := c.MessageByID(ctx, member, "chat2537", msgID+"0"); !errors.Is(err,
		b24.ErrNotFound) {
		t.Errorf("MessageByID of a missing message: %v", err)
	}
}

func TestFilesFeedAndBatch(t *testing.T) {
	p, c, _, member := install(t)
	ctx := t.Context()
	st := must[b24.Storage](t)(c.StorageForApp(ctx, member))
	for range 2 {
		must[b24.File](t)(c.UploadFile(ctx, member, st.RootObjectID, "frame.png",
			[]byte{0x89, 'P', 'N', 'G'}))
	}

	files := p.Files()
	if len(files) != 2 || files[1].Name != "frame (1).png" || string(files[1].Data[1:]) != "PNG" {
		t.Errorf("files = %+v", files)
	}

	postID := must[string](t)(c.BlogPostAdd(ctx, member, b24.BlogPost{Title: "Review",
		Message: "Frame changed", Dest: []string{"U547"}}))
	noteID := must[string](t)(c.NotifySystemAdd(ctx, member, b24.Notification{UserID: "547",
		Message: "Your review is ready", Tag: "figbot|31"}))
	check(t, "feed", []b24fake.BlogPost{{ID: postID, Title: "Review", Message: "Frame changed",
		Dest: []string{"U547"}, AuthorID: b24fake.AdminID}}, p.BlogPosts())
	check(t, "notices", []b24fake.Notification{{ID: noteID, UserID: "547",
		Message: "Your review is ready", Tag: "figbot|31"}}, p.Notifications())

	res := must[b24.BatchResult](t)(c.Batch(ctx, member, []b24.BatchCommand{
		{Key: "info", Method: "app.info"},
		{Key: "bad", Method: "no.such"},
		{Key: "note", Method: "im.notify.system.add",
			Params: b24.Ordered{{Key: "USER_ID", Value: "1"}, {Key: "MESSAGE", Value: "a&b"}}},
	}, false))
	var info struct {
		Installed bool `json:"INSTALLED"`
	}
	if err := json.Unmarshal(res.Results["info"], &info); err != nil || !info.Installed {
		t.Errorf("batch info = %s (%v)", res.Results["info"], err)
	}

	if !errors.Is(res.Errors["bad"], b24.ErrMethodNotFound) || len(res.Results) != 2 {
		t.Errorf("batch = %+v", res)
	}

	if n := p.Notifications(); len(n) != 2 || n[1].Message != "a&b" {
		t.Errorf("notices after batch = %+v", n)
	}
}

func TestTokenRefreshAndMove(t *testing.T) {
	p, c, src, member := install(t)
	ctx := t.Context()

	p.ExpireAccessTokens()
	must[b24.AppInfo](t)(c.AppInfo(ctx, member))
	check(t, "refreshes", 1, p.RefreshCount())

	moved := b24fake.New()
	t.Cleanup(moved.Close)
	p.MoveTo(moved)
	must[b24.AppInfo](t)(c.AppInfo(ctx, member))
	must[b24.AppInfo](t)(c.AppInfo(ctx, member))
	check(t, "moved endpoints", []string{moved.ClientEndpoint()}, src.moved)
	check(t, "calls at the new address", 3, moved.CallCount("app.info"))

	src.creds.RefreshToken = "spent"
	p.ExpireAccessTokens()
	if _, err := c.AppInfo(ctx, member); !errors.Is(err, b24.ErrInvalidGrant) {
		t.Errorf("AppInfo with a spent refresh token: %v", err)
	}
}

func TestRateLimitedPortal(t *testing.T) {
	p, c, _, member := install(t)
	p.SetRate(0.001, 1)
	must[b24.AppInfo](t)(c.AppInfo(t.Context(), member))
	_, err := c.AppInfo(t.Context(), member)
	var rl *b24.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second || rl.Local {
		t.Errorf("AppInfo over the rate: %v", err)
	}
}
