package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/app"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
)

// Demo data: one Figma file with a frame, one portal with a group chat and a task.
const (
	demoFileKey = "DEMOa1b2c3d4e5f6g7h8i9j0"
	demoNode    = "1:2"
	demoChat    = "chat2725"
	demoUser    = "1269"
	demoTask    = "8017"
	demoToken   = "figd_demo_token"
)

// demo runs the whole bot against the built-in fakes on loopback, plays an install, a /link, a
// Figma comment delivered twice, a named version and a review, then prints what the fakes
// recorded. It needs no variable, account, network or Redis.
func demo(stdout, stderr io.Writer) int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := startDemo(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "figbot demo:", err)
		return exitError
	}
	defer d.close()
	if err := d.play(ctx, stdout); err != nil {
		fmt.Fprintln(stderr, "figbot demo:", err)
		return exitError
	}
	d.report(stdout)
	return exitOK
}

type demoRun struct {
	figma  *figmafake.Server
	portal *b24fake.Portal
	bot    *app.App
	http   *http.Client
}

func startDemo(stderr io.Writer) (*demoRun, error) {
	d := &demoRun{figma: figmafake.New(), portal: b24fake.New(),
		http: &http.Client{Timeout: 10 * time.Second}}
	d.figma.AddToken(demoToken, figma.User{ID: "900000000000000001", Handle: "figbot"})
	d.figma.AddFile(figmafake.File{Key: demoFileKey, Name: "Checkout redesign", Version: "101",
		Nodes: []figmafake.Node{{ID: demoNode, Name: "Checkout", Type: "FRAME", W: 360, H: 640}}})
	d.portal.AddUser(b24fake.User{ID: "547", Name: "Alex Developer"})
	d.portal.AddTask(b24fake.Task{ID: demoTask, Title: "Build the checkout page", Status: "3",
		ResponsibleID: "547", Fields: map[string]string{"UF_FIGMA_URL": demoURL()}})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	cfg, err := configs.Load(demoEnv("http://"+l.Addr().String(), d), configs.ModeDemo)
	if err != nil {
		return nil, err
	}
	log := newLogger(configs.Log{Level: "warn", Format: "text"}, stderr)
	log.Logger.SetLevel(logrus.WarnLevel)
	d.bot, err = app.New(cfg, log, app.Options{Listener: l, Concurrency: 4,
		Poll: 100 * time.Millisecond})
	if err != nil {
		return nil, err
	}
	return d, d.bot.Start()
}

func demoURL() string {
	return "https://www.figma.com/design/" + demoFileKey + "/Checkout-redesign?node-id=1-2"
}

func demoEnv(public string, d *demoRun) func(string) string {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	env := map[string]string{
		"PUBLIC_URL": public, "FIGBOT_SECRET": hex.EncodeToString(secret),
		"FIGMA_API_URL": d.figma.URL(), "FIGMA_TOKEN": demoToken,
		"FIGMA_WEBHOOK_PASSCODE": "demo-passcode", "B24_CLIENT_ID": d.portal.ClientID(),
		"B24_CLIENT_SECRET": d.portal.ClientSecret(), "B24_OAUTH_URL": d.portal.URL(),
		"B24_ALLOWED_HOSTS": "127.0.0.1", "B24_ALLOW_HTTP": "true",
		"FIGMA_RATE_PER_MIN": "60,120,240", "B24_RATE_PER_SEC": "20", "B24_RATE_BURST": "100",
		"FILE_UPDATE_WINDOW": "2s", "LOG_LEVEL": "warn",
	}
	return func(k string) string { return env[k] }
}

func (d *demoRun) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d.bot.Shutdown(ctx)
	d.figma.Close()
	d.portal.Close()
}

// play drives the bot through its public routes, the way B24 and Figma would.
func (d *demoRun) play(ctx context.Context, out io.Writer) error {
	step := func(s string) { fmt.Fprintln(out, "▶", s) }

	step("B24 installs the app (ONAPPINSTALL)")
	install := d.portal.InstallEvent(d.bot.URL() + "/b24/install")
	if err := d.postForm(ctx, "/b24/install", install); err != nil {
		return err
	}
	if err := waitFor(ctx, "the bot's commands", func() bool {
		return d.portal.CallCount("imbot.command.register") >= 8
	}); err != nil {
		return err
	}

	step("a user types /link in the group chat")
	if err := d.postForm(ctx, "/b24/events",
		d.portal.CommandEvent(demoChat, demoUser, "link", demoURL())); err != nil {
		return err
	}
	if err := waitFor(ctx, "the /link reply and webhooks", func() bool {
		return len(d.portal.Messages(demoChat)) >= 1 && len(d.figma.Webhooks()) >= 3
	}); err != nil {
		return err
	}

	step("B24 tells the bot the task changed (ONTASKUPDATE); its UF_FIGMA_URL is indexed")
	if err := d.postForm(ctx, "/b24/events",
		d.portal.TaskEvent("ONTASKUPDATE", demoTask)); err != nil {
		return err
	}
	if err := waitFor(ctx, "the task index", func() bool {
		return d.portal.CallCount("tasks.task.get") >= 1
	}); err != nil {
		return err
	}

	step("Figma delivers a FILE_COMMENT, then the same delivery again (a retry: one post)")
	comment := map[string]any{"event_type": "FILE_COMMENT", "file_key": demoFileKey,
		"file_name": "Checkout redesign", "comment_id": "32", "parent_id": "",
		"comment":      []map[string]string{{"text": "Move the [b]Pay[/b] button up, please"}},
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana Designer"},
		"created_at":   time.Now().UTC().Format(time.RFC3339)}
	d.figma.AddComment(demoFileKey, figma.Comment{ID: "32", NodeID: demoNode,
		Message: "Move the [b]Pay[/b] button up, please",
		User:    figma.User{ID: "100000000000000002", Handle: "Dana Designer"}})
	for range 2 {
		if err := d.deliver(ctx, "FILE_COMMENT", comment); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, "the comment in the chat", func() bool {
		return len(d.portal.Messages(demoChat)) >= 2
	}); err != nil {
		return err
	}

	step("Figma delivers a FILE_VERSION_UPDATE (a named version)")
	version := map[string]any{"event_type": "FILE_VERSION_UPDATE", "file_key": demoFileKey,
		"file_name": "Checkout redesign", "version_id": "443", "label": "Ready for dev",
		"description": "Final spacing", "created_at": time.Now().UTC().Format(time.RFC3339),
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana Designer"}}
	d.figma.SetVersion(demoFileKey, "102")
	if err := d.deliver(ctx, "FILE_VERSION_UPDATE", version); err != nil {
		return err
	}

	step("the task moves to review (status 4): the bot attaches a fresh preview")
	d.portal.SetTaskStatus(demoTask, "4")
	if err := d.postForm(ctx, "/b24/events",
		d.portal.TaskEvent("ONTASKUPDATE", demoTask)); err != nil {
		return err
	}
	return waitFor(ctx, "the version and review comments in the task", func() bool {
		return len(d.portal.TaskComments(demoTask)) >= 2 && len(d.portal.Messages(demoChat)) >= 3
	})
}

// deliver sends an event through the fake Figma to every hook of that type it holds.
func (d *demoRun) deliver(ctx context.Context, event string, payload map[string]any) error {
	for _, w := range d.figma.Webhooks() {
		if w.EventType != event {
			continue
		}
		resp, err := d.figma.Deliver(ctx, w.ID, payload)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("delivery of %s answered %d", event, resp.StatusCode)
		}
		return nil
	}
	return fmt.Errorf("no webhook for %s", event)
}

func (d *demoRun) postForm(ctx context.Context, path string, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.bot.URL()+path,
		strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("POST %s answered %d: %s", path, resp.StatusCode, body)
	}
	return nil
}

// waitFor polls cond until it holds or ctx ends; the demo's steps finish in well under a second.
func waitFor(ctx context.Context, what string, cond func() bool) error {
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up waiting for %s", what)
		case <-tick.C:
		}
	}
	return nil
}

// report prints what the fakes recorded: every message, task comment and outside call.
func (d *demoRun) report(out io.Writer) {
	fmt.Fprintf(out, "\n== chat %s received (recorded by the fake B24) ==\n", demoChat)
	fmt.Fprintln(out, "(user text is made inert for BB-code: a zero-width space follows each '[')")
	for _, m := range d.portal.Messages(demoChat) {
		fmt.Fprintf(out, "--- message %s\n%s\n", m.ID, m.Text)
	}
	fmt.Fprintf(out, "\n== task %s comments ==\n", demoTask)
	for _, c := range d.portal.TaskComments(demoTask) {
		fmt.Fprintf(out, "--- comment %s by %s\n%s\n", c.ID, c.AuthorID, c.Message)
	}
	fmt.Fprintln(out, "\n== Figma webhooks created ==")
	for _, w := range d.figma.Webhooks() {
		fmt.Fprintf(out, "%s %s on %s %s\n", w.ID, w.EventType, w.Context, w.ContextID)
	}
	fmt.Fprintln(out, "\n== outside calls ==")
	fmt.Fprintf(out, "B24: %s\n", summarise(callMethods(d.portal.Calls())))
	fmt.Fprintf(out, "Figma: %s\n", summarise(callPaths(d.figma.Calls())))
}

func summarise(names []string) string {
	counts := map[string]int{}
	var order []string
	for _, n := range names {
		if counts[n] == 0 {
			order = append(order, n)
		}
		counts[n]++
	}
	parts := make([]string, 0, len(order))
	for _, n := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", n, counts[n]))
	}
	return strings.Join(parts, ", ")
}

func callMethods(calls []b24fake.Call) []string {
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Method)
	}
	return out
}

func callPaths(calls []figmafake.Call) []string {
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Path)
	}
	return out
}
