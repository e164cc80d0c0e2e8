package e2e

import (
	"bytes"
	"context"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/b24fake"
	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// The widget tests open the TASK_VIEW_TAB page as B24 does (a form POST with the portal's
// APPLICATION_TOKEN and the viewer's AUTH_ID). Chromium cannot POST, so the browser test opens
// the page's own signed reload URL (a GET the page links to, valid 15 minutes): the browser
// then gets the real headers (CSP), the real preview URL and the page's inline script.

const pngMagic = "\x89PNG\r\n\x1a\n"

// widgetPage is one answer of the bot to a widget request.
type widgetPage struct {
	status int
	header http.Header
	body   string
}

// fetch sends a request and reads the whole answer; redirects are not followed.
func (h *harness) fetch(method, target, contentType, body string) widgetPage {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), method, target,
		strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	noFollow := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	hc := &http.Client{Timeout: 10 * time.Second, CheckRedirect: noFollow}
	resp, err := hc.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return widgetPage{status: resp.StatusCode, header: resp.Header, body: string(raw)}
}

// placementForm is the TASK_VIEW_TAB POST of the sample placement-TASK_VIEW_TAB.post.txt for
// a task, with this portal's member_id, APPLICATION_TOKEN and a fresh AUTH_ID; the query
// string holds DOMAIN, PROTOCOL, LANG and APP_SID.
func (h *harness) placementForm(task, lang string) (url.Values, url.Values) {
	ev := h.portal.TaskEvent("ONTASKUPDATE", task)
	form := url.Values{
		"AUTH_ID": {ev.Get("auth[access_token]")}, "AUTH_EXPIRES": {"3600"},
		"REFRESH_ID":        {ev.Get("auth[refresh_token]")},
		"SERVER_ENDPOINT":   {ev.Get("auth[server_endpoint]")},
		"APPLICATION_TOKEN": {ev.Get("auth[application_token]")},
		"APPLICATION_SCOPE": {"task,placement"}, "member_id": {ev.Get("auth[member_id]")},
		"status": {"L"}, "PLACEMENT": {"TASK_VIEW_TAB"},
		"PLACEMENT_OPTIONS": {`{"taskId":"` + task +
			`","URI":"\/company\/personal\/user\/1\/tasks\/task\/view\/` + task + `\/"}`},
	}
	query := url.Values{"DOMAIN": {ev.Get("auth[domain]")}, "PROTOCOL": {"0"},
		"LANG": {lang}, "APP_SID": {"e2e_app_sid"}}
	return form, query
}

// openWidget POSTs the placement form and returns the page.
func (h *harness) openWidget(form, query url.Values) widgetPage {
	h.t.Helper()
	return h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task?"+query.Encode(),
		"application/x-www-form-urlencoded", form.Encode())
}

// widgetTask makes a task whose UF_FIGMA_URL holds figmaURL and waits until the bot indexed it.
func (h *harness) widgetTask(task, figmaURL string) {
	h.t.Helper()
	h.portal.AddTask(b24fake.Task{ID: task, Title: "Checkout redesign", ResponsibleID: userID,
		CreatedBy: b24fake.AdminID, Fields: map[string]string{"UF_FIGMA_URL": figmaURL}})
	if code := h.post("/b24/events", h.portal.TaskEvent("ONTASKUPDATE", task)); code != 200 {
		h.t.Fatalf("ONTASKUPDATE answered %d", code)
	}
	h.waitFor("the task's link", func() bool {
		links, _ := h.bot.Store.TaskLinks(h.t.Context(), h.portal.MemberID(), task)
		return len(links) > 0
	})
}

// jobCount counts the tasks asynq holds in any state.
func (h *harness) jobCount() int {
	h.t.Helper()
	keys, err := h.rdb.Keys(h.t.Context(), "asynq:{*}:t:*").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return len(keys)
}

// waitForThumb waits until the widget preview of a link at version is stored.
func (h *harness) waitForThumb(key, node, version string) {
	h.t.Helper()
	id := queue.WidgetThumbID(key, node, version)
	h.waitFor("the widget preview", func() bool {
		var th queue.WidgetThumb
		ok, _ := h.bot.Store.CacheGet(h.t.Context(), queue.WidgetThumbCache(id), &th)
		return ok
	})
}

var (
	imgSrcPattern = regexp.MustCompile(`<img data-preview src="([^"]+)"`)
	reloadPattern = regexp.MustCompile(`<p class="fb-foot">[^<]*<a href="([^"]+)">`)
	noncePattern  = regexp.MustCompile(`'nonce-([0-9a-f]{32})'`)
	tagPattern    = regexp.MustCompile(`<[^>]+>`)
	hiddenPattern = regexp.MustCompile(`<p [^>]*hidden(="")?>[^<]*</p>`)
	spacePattern  = regexp.MustCompile(`\s+`)
)

// visibleText is the page's text without tags, the title, scripts, styles and notes kept
// hidden, spaces collapsed.
func visibleText(page string) string {
	page = hiddenPattern.ReplaceAllString(page, " ")
	for _, tag := range []string{"script", "style", "title"} {
		re := regexp.MustCompile(`(?s)<` + tag + `[^>]*>.*?</` + tag + `>`)
		page = re.ReplaceAllString(page, " ")
	}
	text := html.UnescapeString(tagPattern.ReplaceAllString(page, " "))
	return strings.TrimSpace(spacePattern.ReplaceAllString(text, " "))
}

func submatch(t *testing.T, re *regexp.Regexp, s string) string {
	t.Helper()
	m := re.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no %s in:\n%s", re, s)
	}
	return html.UnescapeString(m[1])
}

// The whole widget: a task linked through UF_FIGMA_URL, a first view that enqueues the
// refresh, a second view served from the caches with no Figma call, the preview image, the
// page weight and the page in headless Chromium.
func TestWidgetPage(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	resolved := time.Now().Add(-time.Hour)
	h.figma.AddComment(fileKey, figma.Comment{Message: "<script>alert(1)</script>",
		User: figma.User{ID: "2", Handle: "Dana"}})
	h.figma.AddComment(fileKey, figma.Comment{Message: "Move the button", NodeID: nodeID,
		User: figma.User{ID: "2", Handle: "Dana"}})
	h.figma.AddComment(fileKey, figma.Comment{Message: "Done", ResolvedAt: &resolved,
		User: figma.User{ID: "2", Handle: "Dana"}})
	h.widgetTask(taskID, fileURL())
	form, query := h.placementForm(taskID, "en")

	first := h.openWidget(form, query)
	if first.status != http.StatusOK {
		t.Fatalf("first view answered %d: %s", first.status, first.body)
	}
	if !strings.Contains(visibleText(first.body), "The preview is being prepared.") {
		t.Errorf("first view does not say the preview is coming:\n%s", visibleText(first.body))
	}
	if !strings.Contains(first.body, `<meta http-equiv="refresh" content="4;url=`) {
		t.Errorf("a pending page does not reload itself:\n%s", first.body)
	}
	h.waitForThumb(fileKey, nodeID, "101")
	h.settle()

	figmaCalls, jobs := len(h.figma.Calls()), h.jobCount()
	page := h.openWidget(form, query)
	h.settle()
	if got := len(h.figma.Calls()); got != figmaCalls {
		t.Errorf("a view with cached data made %d Figma calls, want 0", got-figmaCalls)
	}
	if got := h.jobCount(); got != jobs {
		t.Errorf("a view with cached data enqueued %d tasks, want 0", got-jobs)
	}
	checkWidgetHeaders(t, h, page)
	want := "Checkout Frame 1:2 Version 101 Comments: 2 open of 3 Changed just now by figbot (" +
		time.Now().UTC().Format("2006-01-02") // the exact time follows
	if got := visibleText(page.body); !strings.HasPrefix(got, want) {
		t.Errorf("page text:\n got %s\nwant prefix %s", got, want)
	}
	tail := "Open in Figma No review yet Refresh preview Checked just now · Reload"
	if !strings.HasSuffix(visibleText(page.body), tail) {
		t.Errorf("page text does not end in %q:\n%s", tail, visibleText(page.body))
	}
	for name, secret := range map[string]string{"AUTH_ID": form.Get("AUTH_ID"),
		"REFRESH_ID": form.Get("REFRESH_ID"), "APPLICATION_TOKEN": form.Get("APPLICATION_TOKEN")} {
		if strings.Contains(page.body, secret) {
			t.Errorf("the page contains the %s", name)
		}
	}
	if strings.Contains(page.body, "<meta http-equiv") {
		t.Error("a complete page reloads itself")
	}

	src := submatch(t, imgSrcPattern, page.body)
	img := h.fetch(http.MethodGet, src, "", "")
	if img.status != http.StatusOK || !strings.HasPrefix(img.body, pngMagic) {
		t.Fatalf("preview %s: status %d, PNG %v", src, img.status,
			strings.HasPrefix(img.body, pngMagic))
	}
	weight := len(page.body) + len(img.body)
	t.Logf("page weight: HTML+CSS+JS %d bytes, preview %d bytes, total %d bytes",
		len(page.body), len(img.body), weight)
	if weight >= 200<<10 {
		t.Errorf("page and preview weigh %d bytes, want under 200 KB", weight)
	}

	reload := submatch(t, reloadPattern, page.body)
	logViewLatency(t, h, form, query)
	err := h.bot.Store.SetTaskState(t.Context(), h.portal.MemberID(), taskID,
		map[string]any{"review": "open"})
	if err != nil {
		t.Fatal(err)
	}
	if got := visibleText(h.fetch(http.MethodGet, reload, "", "").body); !strings.Contains(got,
		"Open in Figma Review open Refresh preview") {
		t.Errorf("an open review is not shown:\n%s", got)
	}
	darkQuery := url.Values{"THEME": {"dark:default"}}
	for k, v := range query {
		darkQuery[k] = v
	}
	dark := submatch(t, reloadPattern, h.openWidget(form, darkQuery).body)
	t.Run("chromium", func(t *testing.T) { browseWidget(t, reload, dark) })

	// Refresh reads the new version at once (the file meta is cached for a minute).
	h.figma.SetVersion(fileKey, "102")
	pressed := h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task/action",
		"application/x-www-form-urlencoded", formValues(t, page.body, "refresh").Encode())
	if pressed.status != http.StatusSeeOther {
		t.Fatalf("refresh answered %d: %s", pressed.status, pressed.body)
	}
	after := h.fetch(http.MethodGet, pressed.header.Get("Location"), "", "")
	if !strings.Contains(visibleText(after.body), "Refreshing from Figma.") {
		t.Errorf("no refresh notice:\n%s", visibleText(after.body))
	}
	h.waitForThumb(fileKey, nodeID, "102")
	after = h.fetch(http.MethodGet, reload, "", "")
	if !strings.Contains(visibleText(after.body), "Checkout Frame 1:2 Version 102 ") {
		t.Errorf("the refreshed page does not show version 102:\n%s", visibleText(after.body))
	}
}

// formValues reads the hidden fields of the page's form for action.
func formValues(t *testing.T, page, action string) url.Values {
	t.Helper()
	start := strings.Index(page, `name="a" value="`+action+`"`)
	form := page[strings.LastIndex(page[:max(start, 0)], "<form"):]
	form = form[:strings.Index(form, "</form>")]
	f := url.Values{}
	for _, name := range []string{"m", "t", "a", "e", "d", "l", "th", "s"} {
		re := regexp.MustCompile(`name="` + name + `" value="([^"]*)"`)
		f.Set(name, submatch(t, re, form))
	}
	return f
}

// logViewLatency times 20 views served from the caches (bounded: 20 requests).
func logViewLatency(t *testing.T, h *harness, form, query url.Values) {
	var worst, total time.Duration
	for range 20 {
		start := time.Now()
		if got := h.openWidget(form, query); got.status != http.StatusOK {
			t.Fatalf("view answered %d", got.status)
		}
		took := time.Since(start)
		worst, total = max(worst, took), total+took
	}
	t.Logf("widget view latency over 20 cached views: mean %v, worst %v", total/20, worst)
}

// checkWidgetHeaders checks the CSP (framed by the portal only, inline code by nonce) and
// that the page is neither cached nor sniffed.
func checkWidgetHeaders(t *testing.T, h *harness, page widgetPage) {
	t.Helper()
	if page.status != http.StatusOK {
		t.Fatalf("view answered %d: %s", page.status, page.body)
	}
	csp := page.header.Get("Content-Security-Policy")
	nonce := submatch(t, noncePattern, csp)
	domain := strings.TrimPrefix(h.portal.URL(), "http://")
	wantCSP := "default-src 'self'; script-src 'nonce-" + nonce + "' https://api.bitrix24.com; " +
		"style-src 'nonce-" + nonce + "'; img-src 'self'; form-action 'self'; base-uri 'none'; " +
		"object-src 'none'; frame-ancestors https://" + domain + " http://" + domain
	if diff := cmp.Diff(wantCSP, csp); diff != "" {
		t.Errorf("CSP (-want +got):\n%s", diff)
	}
	for _, tag := range []string{`<style nonce="` + nonce + `">`,
		`<script nonce="` + nonce + `">`} {
		if !strings.Contains(page.body, tag) {
			t.Errorf("page lacks %s", tag)
		}
	}
	got := map[string]string{}
	for _, k := range []string{"X-Frame-Options", "Cache-Control", "Referrer-Policy",
		"X-Content-Type-Options", "Content-Type"} {
		got[k] = page.header.Get(k)
	}
	want := map[string]string{"X-Frame-Options": "", "Cache-Control": "no-store",
		"Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
		"Content-Type": "text/html; charset=utf-8"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers (-want +got):\n%s", diff)
	}
}

// chromiumPath finds Debian's chromium: CI installs it (.ci/run), so there its absence fails
// the test; elsewhere the browser part is skipped.
func chromiumPath(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is required under CI (.ci/run installs it): %v", err)
		}
		t.Skip("chromium not installed; apt-get install chromium to run the browser check")
	}
	return path
}

// runChromium runs headless Chromium with a throwaway profile and no network of its own.
func runChromium(t *testing.T, args ...string) string {
	t.Helper()
	path := chromiumPath(t)
	profile, err := os.MkdirTemp("", "figbot-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(profile) })
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--user-data-dir=" + profile}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, append(base, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// browseWidget loads the page in Chromium and checks what it rendered: the text, and that the
// preview loaded (the page's script writes each preview's state and natural width into the
// DOM). With WIDGET_SCREENSHOTS set to a folder, it also saves the page at 320 px (light)
// and 640 px (dark) there; scripts/widget-screenshots.sh does that for docs/.
func browseWidget(t *testing.T, viewURL, darkURL string) {
	dom := runChromium(t, "--window-size=360,900", "--dump-dom", viewURL)
	text := visibleText(dom)
	for _, want := range []string{"Checkout Frame 1:2 Version 101 Comments: 2 open of 3",
		"Open in Figma Review open Refresh preview"} {
		if !strings.Contains(text, want) {
			t.Errorf("Chromium rendered no %q:\n%s", want, text)
		}
	}
	if !strings.Contains(dom, `data-loaded="yes" data-natural-width="360"`) {
		t.Errorf("the preview did not load in Chromium:\n%s", dom)
	}
	dir := os.Getenv("WIDGET_SCREENSHOTS")
	if dir == "" {
		return
	}
	for _, shot := range []struct{ name, size, url string }{
		{"widget-320-light.png", "320,640", viewURL},
		{"widget-640-dark.png", "640,560", darkURL},
	} {
		path := filepath.Join(dir, shot.name)
		runChromium(t, "--window-size="+shot.size, "--hide-scrollbars",
			"--screenshot="+path, shot.url)
		if raw, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(raw, []byte(pngMagic)) {
			t.Errorf("screenshot %s not written: %v", path, err)
		}
	}
}

// Requests the widget refuses: nothing is rendered and nothing is enqueued.
func TestWidgetRefusals(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.widgetTask(taskID, fileURL())
	h.settle()
	good, query := h.placementForm(taskID, "en")
	page := h.openWidget(good, query)
	reload := submatch(t, reloadPattern, page.body)
	action := func(set map[string]string) string {
		f := formValues(t, page.body, "refresh")
		for k, v := range set {
			f.Set(k, v)
		}
		return f.Encode()
	}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for name, vals := range good {
			f[name] = vals
		}
		f.Set(k, v)
		return f
	}
	otherQuery := url.Values{"DOMAIN": {"evil.example.com"}, "LANG": {"en"}}
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name string
		do   func() widgetPage
		want int
	}{
		{"forged APPLICATION_TOKEN", func() widgetPage {
			return h.openWidget(with("APPLICATION_TOKEN", "forged"), query)
		}, http.StatusUnauthorized},
		{"no AUTH_ID", func() widgetPage { return h.openWidget(with("AUTH_ID", ""), query) },
			http.StatusUnauthorized},
		{"unknown portal", func() widgetPage {
			return h.openWidget(with("member_id", "nobody"), query)
		}, http.StatusUnauthorized},
		{"no taskId", func() widgetPage {
			return h.openWidget(with("PLACEMENT_OPTIONS", `{"URI":"/x"}`), query)
		}, http.StatusBadRequest},
		{"taskId not a number", func() widgetPage {
			return h.openWidget(with("PLACEMENT_OPTIONS", `{"taskId":"1 OR 1"}`), query)
		}, http.StatusBadRequest},
		{"DOMAIN not allowed", func() widgetPage { return h.openWidget(good, otherQuery) },
			http.StatusBadRequest},
		{"view for another task", func() widgetPage {
			return h.fetch(http.MethodGet, strings.Replace(reload, "t="+taskID, "t=1", 1), "", "")
		}, http.StatusForbidden},
		{"view without signature", func() widgetPage {
			return h.fetch(http.MethodGet, h.bot.URL()+"/b24/placement/task?m=x&t=1", "", "")
		}, http.StatusForbidden},
		{"refresh token used to link", func() widgetPage {
			return h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task/action", form,
				action(map[string]string{"a": "link", "url": fileURL()}))
		}, http.StatusForbidden},
		{"action with a later expiry", func() widgetPage {
			e := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
			return h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task/action", form,
				action(map[string]string{"e": e}))
		}, http.StatusForbidden},
		{"unknown action", func() widgetPage {
			return h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task/action", form,
				action(map[string]string{"a": "delete"}))
		}, http.StatusBadRequest},
	}
	h.settle()
	jobs := h.jobCount()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.do()
			if got.status != tc.want {
				t.Errorf("status %d, want %d: %s", got.status, tc.want, got.body)
			}
			if csp := got.header.Get("Content-Security-Policy"); csp != "default-src 'none'" {
				t.Errorf("refusal CSP %q", csp)
			}
		})
	}
	h.settle()
	if got := h.jobCount(); got != jobs {
		t.Errorf("refused requests enqueued %d tasks", got-jobs)
	}
}

// A task without links says what to do and offers the link form; a bad link is refused with
// words; a good one is added, covered by webhooks and shown, its user-written name escaped.
func TestWidgetEmptyStateAndLinkAction(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	const otherKey = "Zx9a1b2c3d4e5f6g7h8i9j0k"
	h.figma.AddFile(figmafake.File{Key: otherKey, Name: `<img src=x onerror=alert(1)> & "Plan"`,
		Version: "7", Nodes: []figmafake.Node{{ID: "4:5", Name: "Plan", W: 800, H: 600}}})
	h.portal.AddTask(b24fake.Task{ID: "77", Title: "No design yet", ResponsibleID: userID})
	form, query := h.placementForm("77", "ru")
	page := h.openWidget(form, query)
	checkWidgetHeaders(t, h, page)
	want := "К этой задаче ещё не привязан макет Figma. Вставьте ниже ссылку на файл или " +
		"фрейм Figma. Можно также отправить /link со ссылкой в чат задачи или заполнить поле " +
		"задачи Figma (UF_FIGMA_URL). Ссылка на Figma Добавить ссылку Перезагрузить"
	if diff := cmp.Diff(want, visibleText(page.body)); diff != "" {
		t.Errorf("empty page (-want +got):\n%s", diff)
	}

	post := func(link string) widgetPage {
		f := formValues(t, page.body, "link")
		f.Set("url", link)
		return h.fetch(http.MethodPost, h.bot.URL()+"/b24/placement/task/action",
			"application/x-www-form-urlencoded", f.Encode())
	}
	tests := []struct {
		name, link, notice string
	}{
		{"not a link", "hello", "Это не похоже на ссылку на файл или фрейм Figma."},
		{"community file", "https://www.figma.com/community/file/123456/kit",
			"Это страница Figma Community."},
		{"a frame", "https://www.figma.com/design/" + otherKey + "/Plan?node-id=4-5",
			"Ссылка добавлена. Превью появится через несколько секунд."},
	}
	var last widgetPage
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := post(tc.link)
			if got.status != http.StatusSeeOther {
				t.Fatalf("action answered %d: %s", got.status, got.body)
			}
			last = h.fetch(http.MethodGet, got.header.Get("Location"), "", "")
			if !strings.Contains(visibleText(last.body), tc.notice) {
				t.Errorf("page after the action lacks %q:\n%s", tc.notice, visibleText(last.body))
			}
		})
	}
	links, err := h.bot.Store.TaskLinks(t.Context(), h.portal.MemberID(), "77")
	if err != nil || len(links) != 1 {
		t.Fatalf("task links %+v, %v; want the one added", links, err)
	}
	gotLink := [3]string{links[0].FileKey, links[0].NodeID, links[0].AddedBy}
	if diff := cmp.Diff([3]string{otherKey, "4:5", "widget"}, gotLink); diff != "" {
		t.Errorf("added link (-want +got):\n%s", diff)
	}
	h.waitFor("webhooks on the linked file", func() bool { return len(h.figma.Webhooks()) >= 3 })
	h.waitForThumb(otherKey, "4:5", "7")
	page = h.fetch(http.MethodGet, submatch(t, reloadPattern, last.body), "", "")
	escaped := `&lt;img src=x onerror=alert(1)&gt; &amp; &#34;Plan&#34;`
	if !strings.Contains(page.body, escaped) || strings.Contains(page.body, "<img src=x") {
		t.Errorf("the file name is not escaped:\n%s", page.body)
	}
	wantRU := "Версия 7 Комментарии: открыто 0 из 0 Изменён только что, figbot ("
	if got := visibleText(page.body); !strings.Contains(got, wantRU) {
		t.Errorf("Russian page lacks %q:\n%s", wantRU, got)
	}
	if !strings.Contains(page.body, `width="480" height="360"`) {
		t.Errorf("an 800 px frame is not reduced to 480 px:\n%s", page.body)
	}
}

// Each problem is shown with what to do, and a view does not ask a failing Figma again.
func TestWidgetProblemStates(t *testing.T) {
	renderFail := figmafake.Fault{Status: 400, Times: 2,
		Body: `{"status":400,"err":"Render timeout"}`}
	tests := []struct {
		name  string
		setup func(h *harness)
		want  string
	}{
		{"figma token expired", func(h *harness) {
			h.figma.Fail(http.MethodGet, "/v1/files/", figmafake.Fault{Status: 403, Times: 50,
				Body: `{"status":403,"err":"Token expired"}`})
		}, "figbot's access to Figma has expired or was revoked. An administrator must set a " +
			"new FIGMA_TOKEN (or connect Figma again), then press Refresh preview."},
		{"figma unreachable", func(h *harness) {
			h.figma.Fail(http.MethodGet, "/v1/files/", figmafake.Fault{Status: 502, Times: 50})
		}, "Figma did not answer (last try " + time.Now().UTC().Format("2006-01-02")},
		{"no access to the file", func(h *harness) {
			h.figma.Fail(http.MethodGet, "/v1/files/", figmafake.Fault{Status: 404, Times: 50})
		}, "figbot cannot open this file in Figma. Share the file with the bot's Figma " +
			"account, then press Refresh preview."},
		{"preview failed", func(h *harness) {
			h.figma.Fail(http.MethodGet, "/v1/images/", renderFail)
		}, "Figma could not render this frame (render failed (400 Render timeout)). Check " +
			"that the frame still exists and is not too large, then press Refresh preview."},
		{"portal needs reinstall", func(h *harness) {
			yes := true
			err := h.bot.Store.UpdatePortalFields(h.t.Context(), h.portal.MemberID(),
				store.PortalFields{NeedsReinstall: &yes})
			if err != nil {
				h.t.Fatal(err)
			}
		}, "figbot lost access to this portal. An administrator must reinstall the app."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.install()
			h.widgetTask(taskID, fileURL())
			h.settle()
			tc.setup(h)
			form, query := h.placementForm(taskID, "en")
			h.openWidget(form, query)
			h.settle()
			calls, jobs := len(h.figma.Calls()), h.jobCount()
			page := h.openWidget(form, query)
			h.settle()
			if got := h.jobCount(); got != jobs {
				t.Errorf("the second view enqueued %d tasks, want 0", got-jobs)
			}
			if !strings.Contains(visibleText(page.body), tc.want) {
				t.Errorf("page lacks %q:\n%s", tc.want, visibleText(page.body))
			}
			if got := len(h.figma.Calls()); got != calls {
				t.Errorf("the second view made %d Figma calls, want 0", got-calls)
			}
		})
	}
}
