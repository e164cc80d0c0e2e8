package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// The widget page's view: what the store knows of a task's links, turned into plain text
// for the template.

// widgetView is the page's data; every string in it is plain text that the template escapes.
type widgetView struct {
	pageBase
	TaskID      string
	AutoReload  string
	Problems    []string
	Notice      string
	Links       []linkView
	Review      string
	ReviewClass string
	NoLinks     string
	NoLinksHint string
	OpenFigma   string
	Checked     string
	Reload      string
	ReloadURL   string
	RefreshForm widgetForm
	LinkForm    widgetForm
	JS          template.JS
}

// linkView is one linked file or frame.
type linkView struct {
	Name, Frame, URL string
	Preview          *previewView
	State            *stateView
	Facts            []string
	Changed          *changedView
}

type previewView struct {
	Src, Href, Alt, Broken string
	Width, Height          int
}

type stateView struct {
	Text string
	Warn bool
}

type changedView struct{ Text, ISO, Exact string }

// widgetForm is one button's form; its token is signed for that action only.
type widgetForm struct {
	Action, Member, Task, Kind, Domain, Lang, Theme, Sig string
	Button, URLLabel                                     string
	Exp                                                  int64
	URLField                                             bool
}

// serveWidget builds the page from the store and sends it.
func (s *Server) serveWidget(w http.ResponseWriter, r *http.Request, req widgetReq,
	o outcome) outcome {
	v, err := s.buildView(r.Context(), req)
	if err != nil {
		o = withFields(unavailable(), req)
		writeRefusal(w, o)
		return o
	}
	if err := s.writePage(w, http.StatusOK, "widget", req.Domain, v, &v.pageBase); err != nil {
		s.Log.WithError(err).WithFields(o.fields).Warn("widget page not written")
	}
	return o
}

// fileData is what the store holds about one linked file.
type fileData struct {
	wf      queue.WidgetFile
	haveWF  bool
	cc      queue.CommentCounts
	haveCC  bool
	missing bool // something to show is not cached: a refresh is due
}

// buildView reads links, cached file data, comment counts, previews and the review state, and
// enqueues a refresh when something is missing (not within widgetRetryAfter of a Figma
// problem, so that a failing Figma is not asked on every view).
func (s *Server) buildView(ctx context.Context, req widgetReq) (*widgetView, error) {
	tx := localeOf(req.Lang)
	links, err := s.Store.TaskLinks(ctx, req.Member, req.Task)
	if err != nil {
		return nil, err
	}
	state, err := s.Store.TaskState(ctx, req.Member, req.Task)
	if err != nil {
		return nil, err
	}
	v := s.baseView(req, tx, state["review"])
	files := map[string]*fileData{}
	missing, recentProblem := false, false
	var oldest time.Time
	for _, l := range links {
		fd := files[l.FileKey]
		if fd == nil {
			if fd, err = s.fileData(ctx, l.FileKey); err != nil {
				return nil, err
			}
			files[l.FileKey] = fd
			v.Problems = appendProblem(v.Problems, tx, fd.wf)
			recentProblem = recentProblem || (fd.wf.Problem != "" &&
				time.Since(fd.wf.ProblemAt) < widgetRetryAfter)
			if fd.haveWF && (oldest.IsZero() || fd.wf.CheckedAt.Before(oldest)) {
				oldest = fd.wf.CheckedAt
			}
		}
		lv, lmissing, err := s.linkView(ctx, tx, l, fd)
		if err != nil {
			return nil, err
		}
		missing = missing || lmissing || fd.missing
		v.Links = append(v.Links, lv)
	}
	if !oldest.IsZero() {
		v.Checked = tx.t("checked", tx.ago(oldest))
	}
	if req.Portal.NeedsReinstall {
		v.Problems = append(v.Problems, tx.t("b24_reinstall"))
	}
	if missing && !recentProblem {
		if err := s.enqueueRefresh(ctx, req, false); err != nil {
			return nil, err
		}
		if req.Reloads < widgetAutoReloads {
			v.AutoReload = strconv.Itoa(widgetReloadDelay) + ";url=" +
				s.viewURL(req, "", req.Reloads+1)
		}
	}
	return v, nil
}

// baseView fills what does not depend on the links.
func (s *Server) baseView(req widgetReq, tx locale, review string) *widgetView {
	v := &widgetView{pageBase: pageBase{Lang: req.Lang, Theme: req.Theme, Title: tx.t("title")},
		TaskID: req.Task, NoLinks: tx.t("no_links"), NoLinksHint: tx.t("no_links_hint"),
		OpenFigma: tx.t("open_figma"), Reload: tx.t("reload"), JS: widgetJS,
		ReloadURL: s.viewURL(req, "", 0), Review: tx.t("review_none"), ReviewClass: "none"}
	switch review {
	case "open":
		v.Review, v.ReviewClass = tx.t("review_open"), "open"
	case "closed":
		v.Review, v.ReviewClass = tx.t("review_closed"), "closed"
	}
	if key := "notice_" + req.Notice; req.Notice != "" && tx.tx[key] != "" {
		v.Notice = tx.t(key)
	}
	v.RefreshForm = s.form(req, "refresh", tx.t("refresh_button"))
	v.LinkForm = s.form(req, "link", tx.t("link_button"))
	v.LinkForm.URLField, v.LinkForm.URLLabel = true, tx.t("link_label")
	return v
}

func (s *Server) form(req widgetReq, kind, button string) widgetForm {
	t := req.token(kind, time.Now().Add(widgetTokenLife))
	return widgetForm{Action: s.Config.HTTP.PublicURL + widgetActionPath, Member: t.Member,
		Task: t.Task, Kind: kind, Domain: t.Domain, Lang: t.Lang, Theme: t.Theme,
		Sig: s.Store.Sealer().Sign(t.message()), Exp: t.Exp, Button: button}
}

// fileData reads the widget's data of one file. The file meta cached by other tasks
// ("meta:<key>", at most a minute old) wins over the widget's own copy when its version is
// newer, so a new version shows as soon as any part of the bot has seen it.
func (s *Server) fileData(ctx context.Context, key string) (*fileData, error) {
	fd := &fileData{}
	var err error
	if fd.haveWF, err = s.Store.CacheGet(ctx, queue.WidgetFileCache(key), &fd.wf); err != nil {
		return nil, err
	}
	var meta figma.FileMeta
	haveMeta, err := s.Store.CacheGet(ctx, "meta:"+key, &meta)
	if err != nil {
		return nil, err
	}
	if haveMeta && meta.Version != "" && meta.Version != fd.wf.Version {
		fd.wf.Name, fd.wf.Version, fd.wf.LastTouchedAt = meta.Name, meta.Version,
			meta.LastTouchedAt
		fd.wf.LastTouchedBy, fd.wf.RenderFailed = "", nil
		if meta.LastTouchedBy != nil {
			fd.wf.LastTouchedBy = meta.LastTouchedBy.Handle
		}
	}
	if fd.haveCC, err = s.Store.CacheGet(ctx, queue.CommentsCache(key), &fd.cc); err != nil {
		return nil, err
	}
	fd.missing = fd.wf.Version == "" || !fd.haveCC ||
		(fd.wf.Problem != "" && time.Since(fd.wf.ProblemAt) >= widgetRetryAfter)
	return fd, nil
}

// appendProblem adds the page-level warning for a file's Figma problem, once per kind.
func appendProblem(out []string, tx locale, wf queue.WidgetFile) []string {
	var text string
	switch wf.Problem {
	case queue.ProblemToken:
		text = tx.t("figma_token")
	case queue.ProblemRateLimited:
		text = tx.t("rate_limited")
	case queue.ProblemUnreachable:
		text = tx.t("figma_unreachable", wf.ProblemAt.UTC().Format(exactLayout))
	}
	if text == "" || slices.Contains(out, text) {
		return out
	}
	return append(out, text)
}

const exactLayout = "2006-01-02 15:04 UTC"

// linkView shows one link; missing reports a preview that is not stored yet.
func (s *Server) linkView(ctx context.Context, tx locale, l store.Link, fd *fileData) (linkView,
	bool, error) {
	wf := fd.wf
	lv := linkView{Name: firstOf(wf.Name, l.Title, l.FileKey), URL: l.URL}
	if l.NodeID != "" {
		lv.Frame = tx.t("frame", l.NodeID)
	}
	if wf.Version != "" {
		lv.Facts = append(lv.Facts, tx.t("version", wf.Version))
	}
	if fd.haveCC {
		lv.Facts = append(lv.Facts, tx.t("comments", fd.cc.Unresolved, fd.cc.Total))
	} else {
		lv.Facts = append(lv.Facts, tx.t("comments_unknown"))
	}
	if !wf.LastTouchedAt.IsZero() {
		lv.Changed = changed(tx, wf)
	}
	missing := false
	if wf.Version != "" {
		id := queue.WidgetThumbID(l.FileKey, l.NodeID, wf.Version)
		var th queue.WidgetThumb
		ok, err := s.Store.CacheGet(ctx, queue.WidgetThumbCache(id), &th)
		if err != nil {
			return lv, false, err
		}
		if ok {
			lv.Preview = &previewView{Src: s.previewURL(id), Href: l.URL, Width: th.Width,
				Height: th.Height, Alt: tx.t("preview_alt", lv.Name),
				Broken: tx.t("preview_broken")}
			return lv, false, nil
		}
		if reason, failed := wf.RenderFailed[l.NodeID]; failed {
			lv.State = &stateView{Text: tx.t("preview_failed", reason), Warn: true}
			return lv, false, nil
		}
	}
	switch wf.Problem {
	case queue.ProblemNoAccess:
		lv.State = &stateView{Text: tx.t("no_access"), Warn: true}
	case "":
		lv.State = &stateView{Text: tx.t("preview_pending")}
		missing = true
	default:
		missing = true
	}
	return lv, missing, nil
}

func changed(tx locale, wf queue.WidgetFile) *changedView {
	rel := tx.ago(wf.LastTouchedAt)
	text := tx.t("changed", rel)
	if wf.LastTouchedBy != "" {
		text = tx.t("changed_by", rel, wf.LastTouchedBy)
	}
	return &changedView{Text: text, ISO: wf.LastTouchedAt.UTC().Format(time.RFC3339),
		Exact: wf.LastTouchedAt.UTC().Format(exactLayout)}
}

// previewURL signs a preview URL as queue does, valid to the end of the next hour: pages
// viewed within the same hour use the same URL, so the browser's cache serves the image.
func (s *Server) previewURL(id string) string {
	h := &queue.Handlers{Deps: queue.Deps{Store: s.Store, Config: s.Config}}
	exp := time.Now().Truncate(time.Hour).Add(time.Hour + widgetPreviewLife)
	return h.SignedPreviewURL(id, exp)
}

// ago says how long ago t was, in words of the language.
func (tx locale) ago(t time.Time) string {
	d := time.Since(t)
	var unit string
	var n int
	switch {
	case d < time.Minute:
		return tx.t("just_now")
	case d < time.Hour:
		unit, n = "minute", int(d/time.Minute)
	case d < 48*time.Hour:
		unit, n = "hour", int(d/time.Hour)
	default:
		unit, n = "day", int(d/(24*time.Hour))
	}
	return tx.t("ago", tx.t(unit+"_"+pluralForm(tx.lang, n), n))
}

// pluralForm picks "one", "few" or "many" by the language's rules (English has no "few").
func pluralForm(lang string, n int) string {
	if lang != "ru" {
		if n == 1 {
			return "one"
		}
		return "many"
	}
	switch {
	case n%10 == 1 && n%100 != 11:
		return "one"
	case n%10 >= 2 && n%10 <= 4 && (n%100 < 12 || n%100 > 14):
		return "few"
	}
	return "many"
}

func firstOf(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// enqueueRefresh asks for the task's widget data. A view asks at most once a minute per task;
// a button press (force) at most once per ten seconds, in the critical queue, since the person
// is waiting for it.
func (s *Server) enqueueRefresh(ctx context.Context, req widgetReq, force bool) error {
	p := queue.WidgetRefreshPayload{MemberID: req.Member, TaskID: req.Task, Force: force}
	opts := []asynq.Option{asynq.MaxRetry(3)}
	id := "view:" + req.Member + ":" + req.Task + ":" +
		strconv.FormatInt(time.Now().Unix()/60, 10)
	if force {
		opts = append(opts, asynq.Queue(queue.QueueCritical))
		id = "action:" + req.Member + ":" + req.Task + ":" +
			strconv.FormatInt(time.Now().Unix()/10, 10)
	}
	_, err := s.Jobs.Add(ctx, queue.TypeWidgetRefresh, p, id, opts...)
	return err
}
