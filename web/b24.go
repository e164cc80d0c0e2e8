package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/commands"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// b24Install accepts the ONAPPINSTALL event and the install page's frame POST. Both put the
// install in the store, encrypted, and enqueue its check; nothing replaces a stored portal
// until a worker has seen the new token work.
func (s *Server) b24Install(r *http.Request, body []byte) outcome {
	v, err := b24.ParseBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "malformed body")
	}
	if strings.EqualFold(v.String("event"), "ONAPPINSTALL") {
		return s.installEvent(r, v)
	}
	if v.String("AUTH_ID") != "" {
		return s.installFrame(r, v)
	}
	return refuse(http.StatusBadRequest, "bad_request", "neither ONAPPINSTALL nor an install page")
}

func (s *Server) installEvent(r *http.Request, v b24.Values) outcome {
	ev, err := b24.ParseEvent(v)
	if err != nil || ev.Install == nil {
		return refuse(http.StatusBadRequest, "bad_request", "malformed ONAPPINSTALL")
	}
	a := ev.Auth
	p := store.Portal{MemberID: a.MemberID, Domain: a.Domain, ClientEndpoint: a.ClientEndpoint,
		ServerEndpoint: a.ServerEndpoint, AccessToken: a.AccessToken,
		RefreshToken: a.RefreshToken, Expires: expiry(a.ExpiresIn),
		Scope: strings.Join(a.Scope, ","), ApplicationToken: a.ApplicationToken,
		Language: ev.Install.LanguageID}
	return s.acceptInstall(r, p, ev.TS)
}

// installFrame reads the install page's POST (AUTH_ID, REFRESH_ID, member_id; DOMAIN in the
// query string) and answers with the page that finishes the install.
func (s *Server) installFrame(r *http.Request, v b24.Values) outcome {
	domain := r.URL.Query().Get("DOMAIN")
	if domain == "" {
		domain = v.String("DOMAIN")
	}
	protocol := r.URL.Query().Get("PROTOCOL") // in the query string, like DOMAIN (b24-facts 1.3)
	if protocol == "" {
		protocol = v.String("PROTOCOL")
	}
	scheme := "https"
	if protocol == "0" {
		scheme = "http"
	}
	p := store.Portal{MemberID: v.String("member_id"), Domain: domain,
		ClientEndpoint: scheme + "://" + domain + "/rest/",
		ServerEndpoint: v.String("SERVER_ENDPOINT"), AccessToken: v.String("AUTH_ID"),
		RefreshToken: v.String("REFRESH_ID"), Expires: expiry(v.String("AUTH_EXPIRES")),
		Scope: v.String("APPLICATION_SCOPE"), ApplicationToken: v.String("APPLICATION_TOKEN"),
		Language: r.URL.Query().Get("LANG")}
	o := s.acceptInstall(r, p, strconv.FormatInt(time.Now().Unix(), 10))
	if o.status == http.StatusOK {
		o.page = installPage
	}
	return o
}

// acceptInstall checks what can be checked without a call, stores the install and enqueues it.
func (s *Server) acceptInstall(r *http.Request, p store.Portal, ts string) outcome {
	if p.MemberID == "" || p.AccessToken == "" || p.ApplicationToken == "" {
		return refuse(http.StatusBadRequest, "bad_request", "install without member_id or tokens")
	}
	if err := s.hosts.Check(p.ClientEndpoint); err != nil {
		o := refuse(http.StatusBadRequest, "bad_request", "portal endpoint not allowed")
		o.fields = logrus.Fields{"member_id": p.MemberID}
		return o
	}
	id := newID()
	if err := s.Store.SavePendingInstall(r.Context(), p, id); err != nil {
		return unavailable()
	}
	payload := queue.InstallPayload{MemberID: p.MemberID, PendingID: id}
	_, err := s.Jobs.Add(r.Context(), queue.TypeInstall, payload, p.MemberID+":"+id)
	if err != nil {
		return unavailable()
	}
	o := accepted("ok")
	o.fields = logrus.Fields{"member_id": p.MemberID}
	return o
}

// b24Events verifies an event against the application_token stored for its portal and
// enqueues the work; it answers before any call to B24 is made.
func (s *Server) b24Events(r *http.Request, body []byte) outcome {
	v, err := b24.ParseBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "malformed body")
	}
	ev, err := b24.ParseEvent(v)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "not a B24 event")
	}
	if ev.Name == "ONAPPINSTALL" {
		return s.installEvent(r, v)
	}
	fields := logrus.Fields{"member_id": ev.Auth.MemberID, "event": ev.Name}
	if o, ok := s.authenticate(r, ev); !ok {
		o.fields = fields
		return o
	}
	jobs := eventJobs(ev)
	if len(jobs) == 0 {
		s.Log.WithFields(fields).Debug("b24 event figbot does not use")
		o := accepted("ignored")
		return o
	}
	dup := true
	for _, j := range jobs {
		d, err := s.Jobs.Add(r.Context(), j.typ, j.payload, j.id)
		if err != nil {
			return unavailable()
		}
		dup = dup && d
	}
	o := accepted("ok")
	if dup {
		o.result = "duplicate"
	}
	o.fields = fields
	return o
}

// authenticate compares the event's application_token with the stored one in constant time,
// and refuses an event that names an endpoint other than the portal's.
func (s *Server) authenticate(r *http.Request, ev b24.Event) (outcome, bool) {
	unauth := refuse(http.StatusUnauthorized, "unauthorized", "unknown portal or bad token")
	p, err := s.Store.Portal(r.Context(), ev.Auth.MemberID)
	if errors.Is(err, store.ErrNotFound) {
		return unauth, false
	}
	if err != nil {
		return unavailable(), false
	}
	given := []byte(ev.Auth.ApplicationToken)
	if len(given) == 0 || subtle.ConstantTimeCompare(given, []byte(p.ApplicationToken)) != 1 {
		return unauth, false
	}
	if ep := ev.Auth.ClientEndpoint; ep != "" && !sameHost(ep, p.ClientEndpoint) {
		if s.hosts.Check(ep) != nil {
			return refuse(http.StatusUnauthorized, "unauthorized", "endpoint not allowed"), false
		}
	}
	return outcome{}, true
}

type job struct {
	typ     string
	payload any
	id      string
}

// eventJobs turns an event into the tasks that handle it; the task ids make a repeated event
// a duplicate.
func eventJobs(ev b24.Event) []job {
	member := ev.Auth.MemberID
	key := ev.DedupKey()
	switch {
	case ev.Commands != nil:
		return commandJobs(ev)
	case ev.Message != nil:
		return messageJobs(ev)
	case ev.Join != nil:
		return []job{{queue.TypeJoin, queue.JoinPayload{MemberID: member,
			DialogID: ev.Join.DialogID, Lang: ev.Join.Language}, key}}
	case ev.Task != nil:
		return []job{{queue.TypeTaskEvent, queue.TaskEventPayload{MemberID: member,
			Event: ev.Name, TaskID: ev.Task.TaskID}, key}}
	case ev.TaskComment != nil:
		return []job{{queue.TypeTaskComment, queue.TaskCommentPayload{MemberID: member,
			TaskID: ev.TaskComment.TaskID, CommentID: ev.TaskComment.CommentID,
			MessageID: ev.TaskComment.MessageID}, key}}
	case ev.Uninstall != nil:
		return []job{{queue.TypeUninstall, queue.UninstallPayload{MemberID: member}, key}}
	}
	return nil
}

// commandJobs makes one task per command of an ONIMCOMMANDADD (a body may carry several).
func commandJobs(ev b24.Event) []job {
	var out []job
	for _, c := range ev.Commands.Commands {
		p := commandPayload(ev.Auth.MemberID, ev.Commands.Message, ev.Commands.User)
		p.CommandID, p.Command, p.Params = c.ID, strings.ToLower(c.Command), c.Params
		if c.MessageID != "" {
			p.MessageID = c.MessageID
		}
		out = append(out, job{queue.TypeCommand, p, ev.DedupKey() + ":" + c.ID})
	}
	return out
}

// messageJobs accepts a command written as a message: in a private chat with the bot, or
// after a mention of the bot in a group chat (B24 sends group messages only when mentioned).
func messageJobs(ev b24.Event) []job {
	m := ev.Message.Message
	name, args, ok := commands.Parse(m.Message)
	if !ok {
		return nil
	}
	p := commandPayload(ev.Auth.MemberID, m, ev.Message.User)
	p.Command, p.Params = name, args
	return []job{{queue.TypeCommand, p, ev.DedupKey()}}
}

func commandPayload(member string, m b24.MessageParams, u b24.User) queue.CommandPayload {
	return queue.CommandPayload{MemberID: member, DialogID: m.DialogID, ChatType: m.ChatType,
		ChatEntityType: m.ChatEntityType, ChatEntityID: m.ChatEntityID, MessageID: m.MessageID,
		UserID: u.ID, UserName: u.Name, Lang: m.Language}
}

func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && strings.EqualFold(ua.Host, ub.Host)
}

func expiry(expiresIn string) time.Time {
	n, err := strconv.Atoi(expiresIn)
	if err != nil || n <= 0 {
		n = 3600
	}
	return time.Now().Add(time.Duration(n) * time.Second).UTC()
}

func unavailable() outcome {
	return refuse(http.StatusServiceUnavailable, "unavailable", "queue unavailable, try again")
}

func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// installPage finishes an install opened in B24's frame. The B24 library may not load (no
// network), so the page says what happened in plain HTML too.
var installPage = template.Must(template.New("install").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>figbot installed</title>
<script src="//api.bitrix24.com/api/v1/"></script></head>
<body><p>figbot is installed. You can close this page.</p>
<script>if (window.BX24) { BX24.init(function () { BX24.installFinish(); }); }</script>
</body></html>`))
