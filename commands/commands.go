// Package commands parses figbot's chat commands and runs them through a table. Each handler
// gets the request and returns the reply text; the queue posts it.
package commands

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// Request is one command as typed in a chat.
type Request struct {
	MemberID       string
	DialogID       string // "chat12" or, in a private chat, the user's id
	ChatEntityType string // "TASKS_TASK" for a task's chat
	ChatEntityID   string // the task id in a task's chat
	UserID         string
	UserName       string
	Lang           string // "en" or "ru"
	Name           string // command name without the slash, lower case
	Args           string
}

// TaskID returns the task whose chat the command came from, or "".
func (r Request) TaskID() string {
	switch strings.ToUpper(r.ChatEntityType) {
	case "TASKS_TASK", "TASKS":
		return r.ChatEntityID
	}
	return ""
}

// Files is what the commands ask Figma: a file's name and version (cached by the caller).
type Files interface {
	FileMeta(ctx context.Context, key string) (figma.FileMeta, error)
}

// Jobs is the work the commands start in the background.
type Jobs interface {
	// EnsureWebhooks makes sure a webhook covers the file, telling the chat if it cannot.
	EnsureWebhooks(ctx context.Context, fileKey string, r Request) error
	// Preview renders a frame and posts it to the chat; review adds the open comments.
	Preview(ctx context.Context, l figma.Link, r Request, review bool) error
	// StartReview starts a task's review as a status change would.
	StartReview(ctx context.Context, taskID string, r Request) error
	// Status describes what the bot can reach for this portal and chat.
	Status(ctx context.Context, r Request) ([]string, error)
}

// Deps are what the commands work with.
type Deps struct {
	Store *store.Store
	Files Files
	Jobs  Jobs
}

// Dispatcher runs commands by name.
type Dispatcher struct {
	deps  Deps
	table map[string]func(context.Context, Request) (string, error)
}

// Names lists the commands figbot registers in B24, in help order.
var Names = []string{"link", "unlink", "links", "review", "preview", "subscribe", "status", "help"}

// New returns a Dispatcher over deps.
func New(deps Deps) *Dispatcher {
	d := &Dispatcher{deps: deps}
	d.table = map[string]func(context.Context, Request) (string, error){
		"link":      d.link,
		"unlink":    d.unlink,
		"links":     d.links,
		"review":    d.review,
		"preview":   d.preview,
		"subscribe": d.subscribe,
		"status":    d.status,
		"help":      d.help,
	}
	return d
}

// Run executes a command and returns the reply. An error means the command could not be
// completed for a reason worth retrying (Redis, a Figma outage); user mistakes are replies.
func (d *Dispatcher) Run(ctx context.Context, r Request) (string, error) {
	r.Lang = bot.Lang(r.Lang)
	run, ok := d.table[r.Name]
	if !ok {
		return bot.T(r.Lang, "unknown_command", bot.Quote(r.Name, 40)), nil
	}
	return run(ctx, r)
}

// mentionPrefix matches a B24 mention of the bot at the start of a message.
var mentionPrefix = regexp.MustCompile(`(?i)^\s*(\[user=\d+\][^\[]*\[/user\]|@\S+)[\s,:]*`)

// Parse finds a command in a message: "/link url", also after a mention of the bot. It
// returns ok = false for a message that holds no command.
func Parse(text string) (name, args string, ok bool) {
	text = mentionPrefix.ReplaceAllString(text, "")
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	name, args, _ = strings.Cut(text[1:], " ")
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return "", "", false
	}
	return name, strings.TrimSpace(args), true
}

func (d *Dispatcher) help(_ context.Context, r Request) (string, error) {
	return bot.T(r.Lang, "help"), nil
}

func (d *Dispatcher) link(ctx context.Context, r Request) (string, error) {
	if r.Args == "" {
		return bot.T(r.Lang, "link_usage"), nil
	}
	l, err := figma.ParseLink(r.Args)
	if err != nil {
		return bot.T(r.Lang, "link_bad", bot.Quote(err.Error(), 200)), nil
	}
	title := l.Title
	meta, err := d.deps.Files.FileMeta(ctx, l.FileKey)
	switch {
	case err == nil:
		title = meta.Name
	case errors.Is(err, figma.ErrNotFound), errors.Is(err, figma.ErrNoAccess):
		return bot.T(r.Lang, "link_no_access", bot.Quote(err.Error(), 200)), nil
	}
	sl := store.Link{MemberID: r.MemberID, DialogID: r.DialogID, FileKey: l.FileKey,
		MainKey: l.MainKey, NodeID: l.NodeID, URL: l.URL(), Title: title, AddedBy: r.UserID,
		AddedAt: time.Now().UTC()}
	added, err := d.deps.Store.AddChatLink(ctx, sl)
	if err != nil {
		return "", err
	}
	name := linkName(sl)
	if !added {
		return bot.T(r.Lang, "link_exists", name), nil
	}
	if err := d.deps.Jobs.EnsureWebhooks(ctx, l.FileKey, r); err != nil {
		return "", err
	}
	kinds, err := d.deps.Store.Subscriptions(ctx, r.MemberID, r.DialogID)
	if err != nil {
		return "", err
	}
	if task := r.TaskID(); task != "" {
		tl := sl
		tl.DialogID, tl.TaskID = "", task
		if err := d.deps.Store.AddTaskLink(ctx, tl); err != nil {
			return "", err
		}
		return bot.T(r.Lang, "link_added_task", name, task, kindList(r.Lang, kinds)), nil
	}
	return bot.T(r.Lang, "link_added", name, kindList(r.Lang, kinds)), nil
}

// linkName shows a link as its title (or key) and frame, made inert.
func linkName(l store.Link) string {
	name := l.Title
	if name == "" {
		name = l.FileKey
	}
	name = bot.Quote(name, 120)
	if l.NodeID != "" {
		name += " (" + bot.Quote(l.NodeID, 40) + ")"
	}
	return bot.Bold(name)
}

func (d *Dispatcher) unlink(ctx context.Context, r Request) (string, error) {
	links, err := d.deps.Store.ChatLinks(ctx, r.MemberID, r.DialogID)
	if err != nil {
		return "", err
	}
	if len(links) == 0 {
		return bot.T(r.Lang, "unlink_none"), nil
	}
	if r.Args == "" {
		if err := d.deps.Store.RemoveChatLinks(ctx, r.MemberID, r.DialogID); err != nil {
			return "", err
		}
		return bot.T(r.Lang, "unlink_all", len(links)), nil
	}
	l, err := figma.ParseLink(r.Args)
	if err != nil {
		return bot.T(r.Lang, "link_bad", bot.Quote(err.Error(), 200)), nil
	}
	for _, have := range links {
		if have.FileKey == l.FileKey && (l.NodeID == "" || have.NodeID == l.NodeID) {
			_, err := d.deps.Store.RemoveChatLink(ctx, r.MemberID, r.DialogID, have.ID())
			if err != nil {
				return "", err
			}
			return bot.T(r.Lang, "unlink_one", linkName(have)), nil
		}
	}
	return bot.T(r.Lang, "unlink_missing", bot.Quote(l.FileKey, 60)), nil
}

func (d *Dispatcher) links(ctx context.Context, r Request) (string, error) {
	links, err := d.deps.Store.ChatLinks(ctx, r.MemberID, r.DialogID)
	if err != nil {
		return "", err
	}
	if len(links) == 0 {
		return bot.T(r.Lang, "links_none"), nil
	}
	kinds, err := d.deps.Store.Subscriptions(ctx, r.MemberID, r.DialogID)
	if err != nil {
		return "", err
	}
	lines := []string{bot.T(r.Lang, "links_head", kindList(r.Lang, kinds))}
	for _, l := range links {
		lines = append(lines, "• "+d.linkLine(ctx, r.Lang, l))
	}
	return strings.Join(lines, "\n"), nil
}

// linkLine shows one link with its file's last version and change time when Figma answers.
func (d *Dispatcher) linkLine(ctx context.Context, lang string, l store.Link) string {
	line := bot.Link(l.URL, strings.Trim(linkName(l), "[B/]"))
	if l.Dead {
		return line + " — " + bot.T(lang, "links_dead")
	}
	meta, err := d.deps.Files.FileMeta(ctx, l.FileKey)
	if err != nil {
		return line
	}
	when := meta.LastTouchedAt.UTC().Format("2006-01-02 15:04 UTC")
	return fmt.Sprintf("%s — v%s, %s", line, bot.Quote(meta.Version, 30), when)
}

func (d *Dispatcher) subscribe(ctx context.Context, r Request) (string, error) {
	kinds, ok := parseKinds(r.Args)
	if !ok {
		return bot.T(r.Lang, "subscribe_usage"), nil
	}
	if err := d.deps.Store.SetSubscriptions(ctx, r.MemberID, r.DialogID, kinds); err != nil {
		return "", err
	}
	return bot.T(r.Lang, "subscribe_done", kindList(r.Lang, kinds)), nil
}

// parseKinds reads "/subscribe" arguments: kinds separated by spaces or commas, or all/none.
func parseKinds(args string) ([]string, bool) {
	words := strings.FieldsFunc(strings.ToLower(args), func(r rune) bool {
		return r == ',' || r == ' ' || r == ';'
	})
	if len(words) == 0 {
		return nil, false
	}
	valid := map[string]bool{}
	for _, k := range store.AllKinds {
		valid[k] = true
	}
	set := map[string]bool{}
	for _, w := range words {
		switch {
		case w == "all":
			for _, k := range store.AllKinds {
				set[k] = true
			}
		case w == "none":
			set = map[string]bool{}
		case valid[w]:
			set[w] = true
		default:
			return nil, false
		}
	}
	var out []string
	for _, k := range store.AllKinds {
		if set[k] {
			out = append(out, k)
		}
	}
	return out, true
}

func kindList(lang string, kinds []string) string {
	if len(kinds) == 0 {
		return bot.T(lang, "subscribe_none")
	}
	return strings.Join(kinds, ", ")
}

func (d *Dispatcher) status(ctx context.Context, r Request) (string, error) {
	lines, err := d.deps.Jobs.Status(ctx, r)
	if err != nil {
		return "", err
	}
	return bot.T(r.Lang, "status_head") + "\n" + strings.Join(lines, "\n"), nil
}

func (d *Dispatcher) preview(ctx context.Context, r Request) (string, error) {
	l, err := figma.ParseLink(r.Args)
	if r.Args == "" {
		return bot.T(r.Lang, "preview_usage"), nil
	}
	if err != nil {
		return bot.T(r.Lang, "link_bad", bot.Quote(err.Error(), 200)), nil
	}
	return "", d.deps.Jobs.Preview(ctx, l, r, false)
}

func (d *Dispatcher) review(ctx context.Context, r Request) (string, error) {
	arg := strings.TrimPrefix(strings.TrimSpace(r.Args), "#")
	if arg == "" {
		return bot.T(r.Lang, "review_usage"), nil
	}
	if isDigits(arg) {
		return "", d.deps.Jobs.StartReview(ctx, arg, r)
	}
	l, err := figma.ParseLink(arg)
	if err != nil {
		return bot.T(r.Lang, "link_bad", bot.Quote(err.Error(), 200)), nil
	}
	return "", d.deps.Jobs.Preview(ctx, l, r, true)
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
