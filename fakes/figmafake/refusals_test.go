package figmafake_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
)

// call makes a raw request and returns the status and the decoded JSON body.
func call(t *testing.T, s *figmafake.Server, method, path, body string,
	header ...string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path,
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)

	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("%s %s: body %q is not a JSON object", method, path, raw)
	}
	return resp.StatusCode, out
}

func errBody(status int, msg string) map[string]any {
	return map[string]any{"status": float64(status), "err": msg}
}

func errBool(status int, msg string) map[string]any {
	return map[string]any{"error": true, "status": float64(status), "message": msg}
}

func TestAuthRefusals(t *testing.T) {
	s, _ := setup(t)
	paths := []string{"/v1/me", "/v1/files/" + fileKey + "/meta",
		"/v1/files/" + fileKey + "/nodes?ids=1:2", "/v1/images/" + fileKey + "?ids=1:2",
		"/v1/files/" + fileKey + "/comments", "/v2/webhooks?context=file&context_id=x"}
	headers := map[string][]string{
		"no token":      nil,
		"unknown token": {"X-Figma-Token", "nope"},
		"unknown oauth": {"Authorization", "Bearer nope"},
		"basic auth":    {"Authorization", "Basic " + token},
	}
	for name, h := range headers {
		for _, p := range paths {
			t.Run(name+" "+p, func(t *testing.T) {
				status, body := call(t, s, "GET", p, "", h...)
				diff := cmp.Diff(errBody(403, "Invalid token"), body)
				if status != 403 || diff != "" {
					t.Errorf("status %d (-want +got):\n%s", status, diff)
				}
			})
		}
	}

	status, _ := call(t, s, "GET", "/v1/me", "", "Authorization", "bearer "+token)
	if status != 200 {
		t.Errorf("Bearer token refused: %d", status)
	}
}

func TestRequestRefusals(t *testing.T) {
	s, _ := setup(t)
	auth := []string{"X-Figma-Token", token}
	images := "/v1/images/" + fileKey
	meta := "/v1/files/" + fileKey + "/meta"
	notFound := errBody(404, "Not found")
	tests := []struct {
		name, method, path string
		wantStatus         int
		want               map[string]any
	}{
		{"wrong method", "POST", "/v1/me", 404, notFound},
		{"delete a file", "DELETE", meta, 404, notFound},
		{"unknown route", "GET", "/v1/files/" + fileKey + "/versions", 404, notFound},
		{"unknown file meta", "GET", "/v1/files/Nope/meta", 404, notFound},
		{"unknown file images", "GET", "/v1/images/Nope?ids=1:2", 404, notFound},
		{"unknown file comments", "GET", "/v1/files/Nope/comments", 404, notFound},
		{"images without ids", "GET", images, 400,
			errBody(400, "Missing required parameter: ids")},
		{"nodes without ids", "GET", "/v1/files/" + fileKey + "/nodes?ids=", 400,
			errBody(400, "Missing required parameter: ids")},
		{"scale too big", "GET", images + "?ids=1:2&scale=4.5", 400,
			errBody(400, "Invalid parameter: scale must be between 0.01 and 4")},
		{"scale too small", "GET", images + "?ids=1:2&scale=0.001", 400,
			errBody(400, "Invalid parameter: scale must be between 0.01 and 4")},
		{"format", "GET", images + "?ids=1:2&format=gif", 400,
			errBody(400, "Invalid parameter: format must be jpg, png, svg or pdf")},
		{"bad depth", "GET", "/v1/files/" + fileKey + "/nodes?ids=1:2&depth=x", 400,
			errBody(400, "depth must be a non-negative integer")},
		{"hook list without context", "GET", "/v2/webhooks", 400,
			errBool(400, "context and context_id, or plan_api_id, are required")},
		{"unknown hook", "GET", "/v2/webhooks/999", 404, errBool(404, "Not found")},
		{"unknown hook delete", "DELETE", "/v2/webhooks/999", 404, errBool(404, "Not found")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, s, tt.method, tt.path, "", auth...)
			if status != tt.wantStatus {
				t.Errorf("status %d, want %d", status, tt.wantStatus)
			}
			if diff := cmp.Diff(tt.want, body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCommentRefusals(t *testing.T) {
	s, _ := setup(t)
	s.AddComment(fileKey, figma.Comment{ID: "1", Message: "root"})
	s.AddComment(fileKey, figma.Comment{ID: "2", ParentID: "1", Message: "reply"})
	tests := []struct{ name, body, want string }{
		{"not json", `{`, "Request body is not valid JSON"},
		{"no message", `{}`, "message is required"},
		{"blank message", `{"message":"  "}`, "message is required"},
		{"unknown parent", `{"message":"m","comment_id":"77"}`,
			"comment_id does not name a comment of this file"},
		{"reply to reply", `{"message":"m","comment_id":"2"}`,
			"comment_id must be a root comment, not a reply"},
		{"unknown node", `{"message":"m","client_meta":{"node_id":"9:9",` +
			`"node_offset":{"x":1,"y":1}}}`, "client_meta.node_id is not a node of this file"},
		{"no offset", `{"message":"m","client_meta":{"node_id":"1:2"}}`,
			"client_meta.node_offset needs x and y"},
		{"no position", `{"message":"m","client_meta":{"y":1}}`,
			"client_meta needs x and y, or node_id and node_offset"},
		{"flat region", `{"message":"m","client_meta":{"x":1,"y":1,"region_height":0,` +
			`"region_width":5}}`, "region_height and region_width must both be greater than 0"},
		{"bad corner", `{"message":"m","client_meta":{"x":1,"y":1,"region_height":2,` +
			`"region_width":5,"comment_pin_corner":"middle"}}`,
			"comment_pin_corner must be top-left, top-right, bottom-left or bottom-right"},
		{"not an object", `{"message":"m","client_meta":[1,2]}`,
			"client_meta must be a Vector, FrameOffset, Region or FrameOffsetRegion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, s, "POST", "/v1/files/"+fileKey+"/comments", tt.body,
				"X-Figma-Token", token)
			if diff := cmp.Diff(errBool(400, tt.want), body); status != 400 || diff != "" {
				t.Errorf("status %d (-want +got):\n%s", status, diff)
			}
		})
	}
	if n := len(s.Comments(fileKey)); n != 2 {
		t.Errorf("%d comments stored, want the 2 added", n)
	}
}

func TestWebhookRefusals(t *testing.T) {
	s, _ := setup(t)
	hook := func(ctx, id, extra string) string {
		return `{"event_type":"FILE_UPDATE","context":"` + ctx + `","context_id":"` + id +
			`","endpoint":"https://bot.example/h","passcode":"p"` + extra + `}`
	}
	tests := []struct{ name, body, want string }{
		{"ping", `{"event_type":"PING","context":"file","context_id":"` + fileKey +
			`","endpoint":"https://e/h","passcode":"p"}`, "PING cannot be subscribed to"},
		{"bad event", strings.Replace(hook("file", fileKey, ""), "FILE_UPDATE", "FILE_EDIT", 1),
			"event_type is missing or not a webhook event"},
		{"bad context", hook("org", "1", ""), `context must be "team", "project" or "file"`},
		{"no context id", hook("team", "", ""), "context_id is required"},
		{"long endpoint", strings.Replace(hook("team", "1", ""), "/h",
			"/"+strings.Repeat("h", 2048), 1),
			"endpoint must be an http(s) URL of at most 2048 characters"},
		{"relative endpoint", strings.Replace(hook("team", "1", ""), "https://bot.example", "", 1),
			"endpoint must be an http(s) URL of at most 2048 characters"},
		{"long passcode", strings.Replace(hook("team", "1", ""), `"p"`,
			`"`+strings.Repeat("p", 101)+`"`, 1),
			"passcode is required and may have at most 100 characters"},
		{"long description", hook("team", "1", `,"description":"`+strings.Repeat("d", 151)+`"`),
			"description may have at most 150 characters"},
		{"bad status", hook("team", "1", `,"status":"DISABLED"`),
			"status must be ACTIVE or PAUSED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, s, "POST", "/v2/webhooks", tt.body, "X-Figma-Token", token)
			if diff := cmp.Diff(errBool(400, tt.want), body); status != 400 || diff != "" {
				t.Errorf("status %d (-want +got):\n%s", status, diff)
			}
		})
	}

	status, body := call(t, s, "POST", "/v2/webhooks", hook("file", "Nope", ""),
		"X-Figma-Token", token)
	if diff := cmp.Diff(errBool(404, "File not found"), body); status != 404 || diff != "" {
		t.Errorf("unknown file: status %d (-want +got):\n%s", status, diff)
	}
}

func TestWebhookLimits(t *testing.T) {
	tests := []struct {
		context, id string
		limit       int
	}{
		{"file", fileKey, 3},
		{"PROJECT", "55", 5},
		{"team", "77", 20},
	}
	for _, tt := range tests {
		t.Run(tt.context, func(t *testing.T) {
			s, c := setup(t)
			for i := range tt.limit + 1 {
				_, err := c.CreateWebhook(t.Context(), figma.NewWebhook{
					EventType: figma.EventFileUpdate, Context: tt.context, ContextID: tt.id,
					Endpoint: "https://bot.example/h", Passcode: "p"})
				if i < tt.limit && err != nil {
					t.Fatalf("webhook %d: %v", i+1, err)
				}
				if i == tt.limit && !errors.Is(err, figma.ErrBadRequest) {
					t.Fatalf("webhook %d over the limit: %v, want ErrBadRequest", i+1, err)
				}
			}
			if n := len(s.Webhooks()); n != tt.limit {
				t.Errorf("%d webhooks stored, want %d", n, tt.limit)
			}
		})
	}
}

func TestFail(t *testing.T) {
	s, c := setup(t)
	s.Fail("GET", "/v1/images/", figmafake.Fault{Status: 500, Times: 1})
	s.Fail("", "/v1/me", figmafake.Fault{Status: 429, Times: 2,
		Header: http.Header{"Retry-After": {"30"}}, Body: `{"status":429,"err":"slow down"}`})

	r, err := c.Render(t.Context(), fileKey, []string{"1:2"}, figma.RenderOptions{})
	if err != nil || r.URLs["1:2"] == "" {
		t.Fatalf("Render after one 500 = %+v, %v; want a retry at half scale", r, err)
	}

	for range 2 {
		var rl *figma.RateLimitError
		if _, err := c.Me(t.Context()); !errors.As(err, &rl) || rl.RetryAfter != 30*time.Second {
			t.Fatalf("Me() = %v, want the forced 429", err)
		}
	}
	if _, err := c.Me(t.Context()); err != nil {
		t.Errorf("Me() after the fault was used up: %v", err)
	}
}

func TestRateLimit(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s, c := setup(t, figmafake.WithClock(func() time.Time { return now }))
	s.RateLimit(map[figma.Tier]int{figma.Tier1: 2})
	s.AddToken("other", figma.User{ID: "200", Handle: "Other"})
	other := figma.NewClient(s.URL(), figma.WithToken("other"))

	nodes := func(c *figma.Client) error {
		_, err := c.Nodes(t.Context(), fileKey, []string{"1:2"})
		return err
	}
	for range 2 {
		if err := nodes(c); err != nil {
			t.Fatal(err)
		}
	}

	var rl *figma.RateLimitError
	if err := nodes(c); !errors.As(err, &rl) {
		t.Fatalf("third Tier 1 call = %v, want 429", err)
	}
	want := &figma.RateLimitError{RetryAfter: time.Minute, PlanTier: "pro", LimitType: "high"}
	if diff := cmp.Diff(want, rl); diff != "" {
		t.Errorf("RateLimitError (-want +got):\n%s", diff)
	}
	if _, err := c.Me(t.Context()); err != nil {
		t.Errorf("Tier 3 call limited by Tier 1: %v", err)
	}
	if err := nodes(other); err != nil {
		t.Errorf("another user limited by the first: %v", err)
	}

	now = now.Add(61 * time.Second)
	if err := nodes(c); err != nil {
		t.Errorf("call after the window: %v", err)
	}
}

func TestCalls(t *testing.T) {
	s, c := setup(t)
	if _, err := c.PostComment(t.Context(), fileKey, figma.NewComment{Message: "hi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Nodes(t.Context(), fileKey, []string{"1:2"}); err != nil {
		t.Fatal(err)
	}
	call(t, s, "GET", "/v1/me", "")

	calls := s.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls recorded, want 3", len(calls))
	}
	got := []string{calls[0].Method, calls[0].Path, string(calls[0].Body), calls[0].Token,
		calls[1].Query.Get("ids"), calls[1].Query.Get("depth"), calls[2].Token}
	want := []string{"POST", "/v1/files/" + fileKey + "/comments", `{"message":"hi"}`, "100",
		"1:2", "1", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	for _, cl := range calls {
		if cl.Token == token || cl.At.IsZero() {
			t.Errorf("call %+v records the token or no time", cl)
		}
	}

	counts := []int{s.CallCount("", "/v1/"), s.CallCount("GET", "/v1/files/"),
		s.CallCount("POST", "/v1/files/"), s.CallCount("DELETE", "/")}
	if diff := cmp.Diff([]int{3, 1, 1, 0}, counts); diff != "" {
		t.Errorf("CallCount (-want +got):\n%s", diff)
	}
}

// TestCloseStopsEverything closes the fake while a PING hangs on a slow endpoint: Close
// must end the delivery and return with no goroutine of the fake left.
func TestCloseStopsEverything(t *testing.T) {
	s := figmafake.New(figmafake.WithPing())
	s.AddToken(token, bot)
	s.AddFile(figmafake.File{Key: fileKey, Name: "F"})
	started := make(chan struct{}, 1)
	slow := newSlowEndpoint(t, started)

	c := figma.NewClient(s.URL(), figma.WithToken(token))
	createHook(t, c, figma.EventFileUpdate, slow)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the PING never started")
	}

	s.Close()
	buf := make([]byte, 1<<20)
	stacks := string(buf[:runtime.Stack(buf, true)])
	if strings.Contains(stacks, "figmafake.(*Server)") {
		t.Errorf("goroutines of the fake left after Close:\n%s", stacks)
	}
}

// newSlowEndpoint answers only when the request is cancelled. It reads the body first:
// net/http notices a client hanging up only once the body is consumed.
func newSlowEndpoint(t *testing.T, started chan<- struct{}) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}
