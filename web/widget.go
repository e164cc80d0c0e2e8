package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/store"
)

// The task widget (TASK_VIEW_TAB, issue 7). B24 opens it with a form POST that carries the
// portal's APPLICATION_TOKEN and the viewer's AUTH_ID; the page is built from Redis only (no
// Figma or B24 call in the request) and enqueues a widget:refresh task for what is missing.
// Its buttons and its reload link carry a signed token valid for widgetTokenLife.

//go:embed templates/widget.html static/widget.css static/widget.js
var widgetFS embed.FS

var (
	widgetTmpl = template.Must(template.ParseFS(widgetFS, "templates/widget.html"))
	widgetCSS  = template.CSS(mustRead("static/widget.css"))
	widgetJS   = template.JS(mustRead("static/widget.js"))
)

// Widget limits.
const (
	widgetTokenLife   = 15 * time.Minute
	widgetMaxLinks    = 20              // links a task may get through the widget
	widgetAutoReloads = 6               // a pending page reloads itself at most this often
	widgetReloadDelay = 4               // seconds between those reloads
	widgetRetryAfter  = 5 * time.Minute // a Figma problem is retried by a view after this
	widgetPreviewLife = time.Hour       // preview URLs are signed to the next hour + this
)

// Routes of the widget: the page (POST from B24, GET with a signed view token) and its buttons.
const (
	widgetPath       = "/b24/placement/task"
	widgetActionPath = "/b24/placement/task/action"
)

func mustRead(name string) string {
	b, err := widgetFS.ReadFile(name)
	if err != nil {
		panic("web: " + err.Error())
	}
	return string(b)
}

// texts is one language's widget phrases (they live in bot, with all user-facing text);
// values are fmt formats.
type texts map[string]string

// locale is a language and its phrases.
type locale struct {
	lang string
	tx   texts
}

func localeOf(lang string) locale { return locale{lang: lang, tx: bot.WidgetPhrases(lang)} }

func (l locale) t(key string, args ...any) string {
	if len(args) == 0 {
		return l.tx[key]
	}
	return fmt.Sprintf(l.tx[key], args...)
}

// widgetToken is what a widget token signs: who may act on which task with which action,
// until when, and how the answer is shown (the portal that may frame it, language, theme).
type widgetToken struct {
	Member, Task, Action, Domain, Lang, Theme string
	Exp                                       int64
}

// message encodes every field with its length, so that no two tokens sign the same text.
func (t widgetToken) message() string {
	var b strings.Builder
	b.WriteString("widget v1")
	for _, f := range []string{t.Member, t.Task, t.Action, strconv.FormatInt(t.Exp, 10),
		t.Domain, t.Lang, t.Theme} {
		fmt.Fprintf(&b, "|%d:%s", len(f), f)
	}
	return b.String()
}

// readToken reads a token for action from form or query values and checks its signature;
// the caller checks its expiry.
func (s *Server) readToken(v url.Values, action string) (widgetToken, bool) {
	exp, err := strconv.ParseInt(v.Get("e"), 10, 64)
	t := widgetToken{Member: v.Get("m"), Task: v.Get("t"), Action: action, Domain: v.Get("d"),
		Lang: v.Get("l"), Theme: v.Get("th"), Exp: exp}
	if err != nil || t.Member == "" || !taskIDPattern.MatchString(t.Task) {
		return t, false
	}
	return t, s.Store.Sealer().Verify(t.message(), v.Get("s"))
}

func (t widgetToken) expired(now time.Time) bool { return now.Unix() > t.Exp }

// widgetReq is a verified request for the widget of one task.
type widgetReq struct {
	Member, Task, Domain, Lang, Theme string
	Notice                            string // a notice key from an action, or ""
	Reloads                           int    // how often a pending page reloaded itself
	Portal                            store.Portal
}

func (r widgetReq) token(action string, exp time.Time) widgetToken {
	return widgetToken{Member: r.Member, Task: r.Task, Action: action, Domain: r.Domain,
		Lang: r.Lang, Theme: r.Theme, Exp: exp.Unix()}
}

// viewURL is the signed GET address of the page, for reloads and after an action.
func (s *Server) viewURL(r widgetReq, notice string, reloads int) string {
	t := r.token("view", time.Now().Add(widgetTokenLife))
	q := url.Values{"m": {t.Member}, "t": {t.Task}, "e": {strconv.FormatInt(t.Exp, 10)},
		"d": {t.Domain}, "l": {t.Lang}, "s": {s.Store.Sealer().Sign(t.message())}}
	if t.Theme != "" {
		q.Set("th", t.Theme)
	}
	if notice != "" {
		q.Set("n", notice)
	}
	if reloads > 0 {
		q.Set("r", strconv.Itoa(reloads))
	}
	return s.Config.HTTP.PublicURL + widgetPath + "?" + q.Encode()
}

var (
	taskIDPattern = regexp.MustCompile(`^[0-9]{1,18}$`)
	domainPattern = regexp.MustCompile(`^[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?$`)
)

// widgetPage serves the widget: B24's placement POST, or a GET with a signed view token.
func (s *Server) widgetPage(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var req widgetReq
	var o outcome
	if r.Method == http.MethodGet {
		req, o = s.viewRequest(r)
	} else {
		req, o = s.placementRequest(w, r)
	}
	switch o.status {
	case http.StatusOK:
		o = s.serveWidget(w, r, req, o)
	case http.StatusGone:
		s.writeMessage(w, o.status, req, "expired")
	default:
		writeRefusal(w, o)
	}
	s.Metrics.ObserveIntake("b24_placement", o.result, time.Since(start))
	s.logOutcome("b24_placement", o)
}

// placementRequest verifies B24's POST: the stored APPLICATION_TOKEN of member_id (constant
// time), a non-empty AUTH_ID, a task id in PLACEMENT_OPTIONS and a portal DOMAIN the host
// policy allows. AUTH_ID is not checked with a call to B24: the intake makes no calls, and
// the application token already proves the POST comes from the portal.
func (s *Server) placementRequest(w http.ResponseWriter, r *http.Request) (widgetReq, outcome) {
	body, o, ok := readBody(w, r)
	if !ok {
		return widgetReq{}, o
	}
	v, err := b24.ParseBody(r.Header.Get("Content-Type"), body)
	if err != nil {
		return widgetReq{}, refuse(http.StatusBadRequest, "bad_request", "malformed body")
	}
	q := r.URL.Query()
	param := func(name string) string {
		if x := q.Get(name); x != "" {
			return x
		}
		return v.String(name)
	}
	req := widgetReq{Member: param("member_id"), Lang: bot.Lang(param("LANG")),
		Theme: themeOf(param("THEME"))}
	task, ok := placementTask(v.String("PLACEMENT_OPTIONS"))
	if !ok {
		return req, refuse(http.StatusBadRequest, "bad_request", "no taskId in PLACEMENT_OPTIONS")
	}
	req.Task = task
	p, o := s.widgetPortal(r.Context(), req.Member, req.Task)
	if o.status != http.StatusOK {
		return req, o
	}
	given := []byte(param("APPLICATION_TOKEN"))
	if len(given) == 0 || subtle.ConstantTimeCompare(given, []byte(p.ApplicationToken)) != 1 ||
		param("AUTH_ID") == "" {
		return req, withFields(refuse(http.StatusUnauthorized, "unauthorized",
			"unknown portal or bad token"), req)
	}
	req.Portal, req.Domain = p, param("DOMAIN")
	if req.Domain == "" {
		req.Domain = p.Domain
	}
	if !s.frameDomainOK(req.Domain) {
		return req, withFields(refuse(http.StatusBadRequest, "bad_request",
			"portal domain not allowed"), req)
	}
	return req, o
}

// viewRequest verifies a GET of the page by its signed view token.
func (s *Server) viewRequest(r *http.Request) (widgetReq, outcome) {
	q := r.URL.Query()
	t, ok := s.readToken(q, "view")
	if !ok || !s.frameDomainOK(t.Domain) {
		return widgetReq{}, refuse(http.StatusForbidden, "forbidden", "bad signature")
	}
	reloads, _ := strconv.Atoi(q.Get("r"))
	req := widgetReq{Member: t.Member, Task: t.Task, Domain: t.Domain, Lang: bot.Lang(t.Lang),
		Theme: themeOf(t.Theme), Notice: q.Get("n"), Reloads: reloads}
	if t.expired(time.Now()) {
		return req, withFields(refuse(http.StatusGone, "expired", "view token expired"), req)
	}
	p, o := s.widgetPortal(r.Context(), req.Member, req.Task)
	req.Portal = p
	return req, o
}

// widgetPortal loads the portal of a widget request: 401 when it is not installed.
func (s *Server) widgetPortal(ctx context.Context, member, task string) (store.Portal,
	outcome) {
	req := widgetReq{Member: member, Task: task}
	if member == "" {
		return store.Portal{}, refuse(http.StatusUnauthorized, "unauthorized", "no member_id")
	}
	p, err := s.Store.Portal(ctx, member)
	if errors.Is(err, store.ErrNotFound) {
		return p, withFields(refuse(http.StatusUnauthorized, "unauthorized",
			"unknown portal or bad token"), req)
	}
	if err != nil {
		return p, withFields(unavailable(), req)
	}
	return p, withFields(accepted("ok"), req)
}

func withFields(o outcome, r widgetReq) outcome {
	o.fields = logrus.Fields{"member_id": r.Member}
	if r.Task != "" {
		o.fields["task_id"] = r.Task
	}
	return o
}

// placementTask reads taskId from PLACEMENT_OPTIONS, a JSON string ({"taskId":"31",...});
// the id may come as a string or a number.
func placementTask(options string) (string, bool) {
	var opt struct {
		TaskID json.RawMessage `json:"taskId"`
	}
	if json.Unmarshal([]byte(options), &opt) != nil || len(opt.TaskID) == 0 {
		return "", false
	}
	id := strings.Trim(string(opt.TaskID), `"`)
	return id, taskIDPattern.MatchString(id)
}

// themeOf reads B24's theme when the portal passes one ("dark:...", "light:..."); "" leaves
// the choice to prefers-color-scheme.
func themeOf(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case strings.HasPrefix(v, "dark"):
		return "dark"
	case strings.HasPrefix(v, "light"):
		return "light"
	}
	return ""
}

// frameDomainOK accepts a portal host[:port] that B24_ALLOWED_HOSTS allows.
func (s *Server) frameDomainOK(domain string) bool {
	return domainPattern.MatchString(domain) && s.hosts.Check("https://"+domain+"/rest/") == nil
}

// readBody reads a capped request body as the intake does.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, outcome, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, refuse(http.StatusRequestEntityTooLarge, "too_large", "body over 1 MiB"), false
	case err != nil:
		return nil, refuse(http.StatusBadRequest, "bad_request", "cannot read body"), false
	}
	return body, accepted("ok"), true
}

// writeRefusal answers a refused widget request with plain text that loads nothing.
func writeRefusal(w http.ResponseWriter, o outcome) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'")
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(o.status)
	_, _ = io.WriteString(w, o.reason+"\n")
}

// pageBase is what every widget page template needs.
type pageBase struct {
	Lang, Theme, Title string
	Nonce              string
	CSS                template.CSS
}

// writePage renders a page template and sends it with a CSP that lets only the portal frame it
// and runs only this response's inline style and script (by nonce) and the B24 library.
func (s *Server) writePage(w http.ResponseWriter, status int, name, domain string,
	data any, base *pageBase) error {
	base.Nonce, base.CSS = newNonce(), widgetCSS
	var buf bytes.Buffer
	if err := widgetTmpl.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("web: widget page: %w", err)
	}
	ancestors := "https://" + domain
	if s.Config.B24.AllowHTTP {
		ancestors += " http://" + domain
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'nonce-"+base.Nonce+
		"' https://api.bitrix24.com; style-src 'nonce-"+base.Nonce+"'; img-src 'self'; "+
		"form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors "+ancestors)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// newNonce is 128 random bits in hex, which needs no escaping in a header or an attribute.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// messagePage is a page with one sentence: what to do.
type messagePage struct {
	pageBase
	Text string
}

func (s *Server) writeMessage(w http.ResponseWriter, status int, r widgetReq, key string) {
	tx := localeOf(r.Lang)
	p := &messagePage{pageBase: pageBase{Lang: r.Lang, Theme: r.Theme, Title: tx.t("title")},
		Text: tx.t(key)}
	if err := s.writePage(w, status, "message", r.Domain, p, &p.pageBase); err != nil {
		s.Log.WithError(err).Warn("widget page not written")
	}
}
