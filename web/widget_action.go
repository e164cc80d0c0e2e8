package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// widgetAddedBy marks a link added with the widget. The placement POST names no user (only
// AUTH_ID, which would need a call to B24), and a non-empty AddedBy is what keeps a link that
// was added by hand when the task's UF_FIGMA_URL is read again (queue.indexTask).
const widgetAddedBy = "widget"

// maxLinkInput caps the Figma URL a person can paste.
const maxLinkInput = 2048

// widgetAction runs a widget button: "refresh" or "link". The form carries a token signed for
// that action, member, task and expiry; the answer redirects to the page's signed view URL with
// a notice, so that reloading the frame does not post the form again.
func (s *Server) widgetAction(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	o := s.runAction(w, r)
	s.Metrics.ObserveIntake("b24_placement_action", o.result, time.Since(start))
	s.logOutcome("b24_placement_action", o)
}

func (s *Server) runAction(w http.ResponseWriter, r *http.Request) outcome {
	body, o, ok := readBody(w, r)
	if !ok {
		writeRefusal(w, o)
		return o
	}
	form, err := url.ParseQuery(string(body))
	kind := form.Get("a")
	if err != nil || (kind != "refresh" && kind != "link") {
		o = refuse(http.StatusBadRequest, "bad_request", "not a widget action")
		writeRefusal(w, o)
		return o
	}
	t, ok := s.readToken(form, kind)
	if !ok || !s.frameDomainOK(t.Domain) {
		o = refuse(http.StatusForbidden, "forbidden", "bad signature")
		writeRefusal(w, o)
		return o
	}
	req := widgetReq{Member: t.Member, Task: t.Task, Domain: t.Domain, Lang: bot.Lang(t.Lang),
		Theme: themeOf(t.Theme)}
	if t.expired(time.Now()) {
		o = withFields(refuse(http.StatusGone, "expired", "action token expired"), req)
		s.writeMessage(w, o.status, req, "expired")
		return o
	}
	if _, o = s.widgetPortal(r.Context(), req.Member, req.Task); o.status != http.StatusOK {
		writeRefusal(w, o)
		return o
	}
	notice, err := s.doAction(r.Context(), req, kind, form.Get("url"))
	if err != nil {
		o = withFields(unavailable(), req)
		writeRefusal(w, o)
		return o
	}
	o.fields["action"], o.result = kind, notice
	http.Redirect(w, r, s.viewURL(req, notice, 0), http.StatusSeeOther)
	return o
}

// doAction runs the action and returns the notice key the page shows.
func (s *Server) doAction(ctx context.Context, req widgetReq, kind, raw string) (string,
	error) {
	if kind == "refresh" {
		return "refresh", s.enqueueRefresh(ctx, req, true)
	}
	return s.addLink(ctx, req, raw)
}

// addLink validates a pasted Figma URL, adds it to the task and enqueues, as /link does, the
// task that makes sure webhooks cover the file; then a refresh that shows it.
func (s *Server) addLink(ctx context.Context, req widgetReq, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > maxLinkInput {
		return "link_bad", nil
	}
	l, err := figma.ParseLink(raw)
	if errors.Is(err, figma.ErrCommunityFile) {
		return "link_community", nil
	}
	if err != nil {
		return "link_bad", nil
	}
	links, err := s.Store.TaskLinks(ctx, req.Member, req.Task)
	if err != nil {
		return "", err
	}
	if len(links) >= widgetMaxLinks {
		return "link_full", nil
	}
	sl := store.Link{MemberID: req.Member, TaskID: req.Task, FileKey: l.FileKey,
		MainKey: l.MainKey, NodeID: l.NodeID, URL: l.URL(), Title: l.Title,
		AddedBy: widgetAddedBy, AddedAt: time.Now().UTC()}
	if err := s.Store.AddTaskLink(ctx, sl); err != nil {
		return "", err
	}
	hooks := queue.EnsureWebhooksPayload{FileKey: l.FileKey, MemberID: req.Member,
		Lang: req.Lang}
	slot := strconv.FormatInt(time.Now().Truncate(time.Minute).Unix(), 10)
	if _, err := s.Jobs.Add(ctx, queue.TypeEnsureWebhooks, hooks, l.FileKey+":"+slot); err != nil {
		return "", err
	}
	return "linked", s.enqueueRefresh(ctx, req, true)
}
