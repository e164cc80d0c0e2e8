// Package e2e drives a whole figbot through its HTTP routes, on a real Redis, with the fake
// Figma and fake B24 answering over real HTTP, and checks what the fakes recorded.
package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/internal/testredis"
)

const (
	fileKey   = "E2Ea1b2c3d4e5f6g7h8i9j0k"
	nodeID    = "1:2"
	chat      = "chat2725"
	userID    = "1269"
	taskID    = "8017"
	botToken  = "figd_e2e_token"
	botFigmID = "900000000000000001"
)

func fileURL() string {
	return "https://www.figma.com/design/" + fileKey + "/Checkout?node-id=1-2"
}

type harness struct {
	t      *testing.T
	figma  *figmafake.Server
	portal *b24fake.Portal
	bot    *app.App
	rdb    *redis.Client
	env    map[string]string
	client *http.Client
}

// newHarness starts the fakes and a bot (serve + worker in one process) on a fresh Redis db.
// set overrides environment variables.
func newHarness(t *testing.T, set map[string]string) *harness {
	t.Helper()
	rdb, redisURL := testredis.New(t)
	h := &harness{t: t, figma: figmafake.New(), portal: b24fake.New(), rdb: rdb,
		client: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(h.figma.Close)
	t.Cleanup(h.portal.Close)
	h.figma.AddToken(botToken, figma.User{ID: botFigmID, Handle: "figbot"})
	h.figma.AddFile(figmafake.File{Key: fileKey, Name: "Checkout", Version: "101",
		Nodes: []figmafake.Node{{ID: nodeID, Name: "Checkout", Type: "FRAME", W: 360, H: 640}}})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.env = map[string]string{
		"PUBLIC_URL": "http://" + l.Addr().String(), "REDIS_URL": redisURL,
		"FIGBOT_SECRET": strings.Repeat("k", 40), "FIGMA_API_URL": h.figma.URL(),
		"FIGMA_TOKEN": botToken, "FIGMA_WEBHOOK_PASSCODE": "e2e-passcode",
		"B24_CLIENT_ID": h.portal.ClientID(), "B24_CLIENT_SECRET": h.portal.ClientSecret(),
		"B24_OAUTH_URL": h.portal.URL(), "B24_ALLOWED_HOSTS": "127.0.0.1",
		"B24_ALLOW_HTTP": "true", "FIGMA_RATE_PER_MIN": "600", "B24_RATE_PER_SEC": "50",
		"B24_RATE_BURST": "200", "FILE_UPDATE_WINDOW": "1s", "LOG_LEVEL": "warn",
	}
	for k, v := range set {
		h.env[k] = v
	}
	cfg, err := configs.Load(func(k string) string { return h.env[k] }, configs.ModeAll)
	if err != nil {
		t.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	if testing.Verbose() {
		log.SetOutput(testWriter{t})
	}
	h.bot, err = app.New(cfg, logrus.NewEntry(log), app.Options{Listener: l, Concurrency: 4,
		Poll: 50 * time.Millisecond, ShutdownTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.bot.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		h.bot.Shutdown(ctx)
	})
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// post sends a form body to the bot and returns the status code.
func (h *harness) post(path string, form url.Values) int {
	h.t.Helper()
	return h.postRaw(path, "application/x-www-form-urlencoded", form.Encode())
}

func (h *harness) postRaw(path, contentType, body string) int {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodPost, h.bot.URL()+path,
		strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// postJSON sends a Figma-style delivery straight to the bot.
func (h *harness) postJSON(path string, v any) int {
	h.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.postRaw(path, "application/json", string(raw))
}

// install plays ONAPPINSTALL and waits until the bot registered its commands.
func (h *harness) install() {
	h.t.Helper()
	if code := h.post("/b24/install", h.portal.InstallEvent(h.bot.URL()+"/b24/install")); code != http.StatusOK {
		h.t.Fatalf("install answered %d", code)
	}
	h.waitFor("commands registered", func() bool {
		return h.portal.CallCount("imbot.command.register") >= 8
	})
}

// link types /link in the group chat and waits for the reply and the webhooks.
func (h *harness) link(url string) {
	h.t.Helper()
	before := len(h.portal.Messages(chat))
	if code := h.post("/b24/events", h.portal.CommandEvent(chat, userID, "link", url)); code != 200 {
		h.t.Fatalf("/link answered %d", code)
	}
	h.waitFor("the /link reply", func() bool { return len(h.portal.Messages(chat)) > before })
	h.waitFor("three webhooks", func() bool { return len(h.figma.Webhooks()) >= 3 })
}

// deliver sends an event through the fake Figma to the bot's hook for that event type.
func (h *harness) deliver(event string, payload map[string]any) int {
	h.t.Helper()
	for _, w := range h.figma.Webhooks() {
		if w.EventType != event {
			continue
		}
		resp, err := h.figma.Deliver(h.t.Context(), w.ID, payload)
		if err != nil {
			h.t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	h.t.Fatalf("no webhook for %s", event)
	return 0
}

// waitFor polls a condition on the fakes until it holds; it fails the test after 15 s.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	h.waitUpTo(15*time.Second, what, cond)
}

// waitUpTo is waitFor with its own limit, for the rare waits that take longer by design.
func (h *harness) waitUpTo(limit time.Duration, what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		select {
		case <-h.t.Context().Done():
			h.t.Fatal("test ended")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// settle waits until the queues hold no pending, active, scheduled or aggregating task, and no
// task due to retry within 5 s, so that a test can assert something did NOT happen. A task
// parked for longer (a rate limit asking for minutes) does not hold the test.
func (h *harness) settle() {
	h.t.Helper()
	ctx := h.t.Context()
	h.waitFor("idle queues", func() bool {
		keys, err := h.rdb.Keys(ctx, "asynq:{*}:t:*").Result()
		if err != nil {
			return false // an unanswered look is no proof of idle queues
		}
		soon := float64(time.Now().Add(5 * time.Second).Unix())
		for _, k := range keys {
			state, err := h.rdb.HGet(ctx, k, "state").Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return false
			}
			switch state {
			case "completed", "archived":
				continue
			case "retry":
				queue := k[len("asynq:{"):strings.Index(k, "}")]
				id := k[strings.LastIndex(k, ":t:")+3:]
				at, err := h.rdb.ZScore(ctx, "asynq:{"+queue+"}:retry", id).Result()
				if err == nil && at > soon {
					continue
				}
			}
			return false
		}
		return true
	})
}
