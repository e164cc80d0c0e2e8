package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/store"
)

// samplesDir holds the published B24 samples (see its SOURCES.md).
const samplesDir = "/work/shared/reference/b24-samples"

// sampleEvent reads a published event sample and points it at portal p: its member_id,
// application_token and host replace the placeholders. It returns the content type and body.
func sampleEvent(t *testing.T, name string, p *b24fake.Portal) (string, string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(samplesDir, name))
	if err != nil {
		t.Skipf("sample %s not readable: %v", name, err)
	}
	host := strings.TrimPrefix(p.URL(), "http://")
	body := strings.NewReplacer(
		"XXXX_MEMBER_ID_1", p.MemberID(),
		"XXXX_APPLICATION_TOKEN_1", p.ApplicationToken(),
		// the private message sample names the app's token _2 (an artefact of anonymising)
		"XXXX_APPLICATION_TOKEN_2", p.ApplicationToken(),
		"https%3A%2F%2Fexample.bitrix24.com", url.QueryEscape("http://"+host),
		"https://example.bitrix24.com", "http://"+host,
		"example.bitrix24.com", host,
	).Replace(string(raw))
	if strings.HasSuffix(name, ".json") {
		return "application/json", body
	}
	return "application/x-www-form-urlencoded", strings.TrimSpace(body)
}

// taskKeys lists the asynq task ids held in Redis, whatever their state.
func (h *harness) taskKeys() map[string]bool {
	h.t.Helper()
	keys, err := h.rdb.Keys(h.t.Context(), "asynq:{*}:t:*").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out
}

// newTaskTypes returns the sorted types of the tasks enqueued since before. figbot's task ids
// start with the task type ("b24:command:..."), and asynq keeps a task's hash under
// asynq:{queue}:t:<id>.
func (h *harness) newTaskTypes(before map[string]bool) []string {
	h.t.Helper()
	var types []string
	for k := range h.taskKeys() {
		if before[k] {
			continue
		}
		_, id, _ := strings.Cut(k, ":t:")
		parts := strings.SplitN(id, ":", 3)
		if len(parts) < 2 {
			types = append(types, id)
			continue
		}
		types = append(types, parts[0]+":"+parts[1])
	}
	sort.Strings(types)
	return types
}

// installPortal plays ONAPPINSTALL for another portal and waits for its commands.
func (h *harness) installPortal(p *b24fake.Portal) {
	h.t.Helper()
	if code := h.post("/b24/install", p.InstallEvent(h.bot.URL()+"/b24/install")); code != 200 {
		h.t.Fatalf("install answered %d", code)
	}
	h.waitFor("the second portal's commands", func() bool {
		return p.CallCount("imbot.command.register") >= 8
	})
}

// newPortal starts another fake portal that the bot's B24 application keys also open.
func (h *harness) newPortal() *b24fake.Portal {
	h.t.Helper()
	p := b24fake.New(b24fake.WithClientCredentials(h.portal.ClientID(), h.portal.ClientSecret()))
	h.t.Cleanup(p.Close)
	return p
}

// command types /name args in a chat of portal p and returns the intake's status.
func (h *harness) command(p *b24fake.Portal, dialog, name, args string) int {
	h.t.Helper()
	ev := p.CommandEvent(dialog, userID, name, args)
	if ev == nil {
		h.t.Fatalf("portal has no command %s", name)
	}
	return h.post("/b24/events", ev)
}

// storedPortal reads what the bot stored for a portal.
func (h *harness) storedPortal(member string) store.Portal {
	h.t.Helper()
	p, err := h.bot.Store.Portal(h.t.Context(), member)
	if err != nil {
		h.t.Fatalf("portal %s: %v", member, err)
	}
	return p
}

// startBot starts one more figbot process on the harness's Redis with the harness's
// environment plus set. A RoleWorker process has no HTTP side.
func (h *harness) startBot(role app.Role, set map[string]string) *app.App {
	h.t.Helper()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	for k, v := range set {
		env[k] = v
	}
	mode := configs.ModeAll
	if role == app.RoleWorker {
		mode = configs.ModeWorker
	}
	cfg, err := configs.Load(func(k string) string { return env[k] }, mode)
	if err != nil {
		h.t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	opt := app.Options{Role: role, Concurrency: 4}
	if role != app.RoleWorker {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			h.t.Fatal(err)
		}
		opt.Listener = l
	}
	a, err := app.New(cfg, logrus.NewEntry(log), opt)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := a.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		a.Shutdown(ctx)
	})
	return a
}

// get fetches a path of the bot and returns its status and body.
func (h *harness) get(path string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodGet, h.bot.URL()+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// postPage posts a form to path with a query string and returns status and body.
func (h *harness) postPage(path string, form url.Values) (int, string) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodPost, h.bot.URL()+path,
		strings.NewReader(form.Encode()))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
