package b24

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const testMember = "member1"

// fakeSource is a CredentialSource in memory.
type fakeSource struct {
	mu         sync.Mutex
	creds      Credentials
	next       Credentials // what Refresh hands out
	refreshErr error
	stale      []string // access tokens Refresh was called with
	moved      []string
}

func (s *fakeSource) Credentials(context.Context, string) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creds, nil
}

func (s *fakeSource) Refresh(_ context.Context, _ string, stale Credentials) (Credentials,
	error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stale = append(s.stale, stale.AccessToken)
	if s.refreshErr != nil {
		return Credentials{}, s.refreshErr
	}

	s.creds = s.next
	return s.next, nil
}

func (s *fakeSource) EndpointMoved(_ context.Context, _, endpoint string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.moved = append(s.moved, endpoint)
	s.creds.ClientEndpoint = endpoint
	return nil
}

// request is what the test portal received.
type request struct {
	Method      string
	Path        string
	RawQuery    string
	ContentType string
	Body        string
}

// answer is what the test portal sends back.
type answer struct {
	status   int
	body     string
	location string
}

// testPortal is an httptest server that records requests and answers through a function.
type testPortal struct {
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []request
	answer func(req request) answer
}

func newTestPortal(t *testing.T, fn func(req request) answer) *testPortal {
	t.Helper()
	p := &testPortal{answer: fn}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *testPortal) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Body: string(body)}
	p.mu.Lock()
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()

	a := p.answer(req)
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

func (p *testPortal) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]request(nil), p.reqs...)
}

func (p *testPortal) endpoint() string { return p.srv.URL + "/rest/" }

var loopback = HostPolicy{Patterns: []string{"127.0.0.1"}, AllowHTTP: true}

// setup starts a test portal and a client whose source points at it.
func setup(t *testing.T, fn func(req request) answer,
	opts ...Option) (*Client, *fakeSource, *testPortal) {
	t.Helper()
	p := newTestPortal(t, fn)
	src := &fakeSource{
		creds: Credentials{MemberID: testMember, ClientEndpoint: p.endpoint(),
			AccessToken: "ACCESS1", RefreshToken: "REFRESH1"},
		next: Credentials{MemberID: testMember, ClientEndpoint: p.endpoint(),
			AccessToken: "ACCESS2", RefreshToken: "REFRESH2"},
	}
	c := NewClient(src, append([]Option{WithHostPolicy(loopback)}, opts...)...)
	return c, src, p
}

func ok(result string) answer {
	return answer{status: 200, body: `{"result":` + result + `,"time":{"start":1}}`}
}

func TestCallRequest(t *testing.T) {
	type structParams struct {
		Zeta  string `json:"ZETA"`
		Alpha int    `json:"ALPHA"`
	}
	tests := []struct {
		name     string
		params   any
		wantBody string
	}{
		{"nil", nil, `{"auth":"ACCESS1"}`},
		{"map sorted", map[string]any{"b": 1, "a": "x"}, `{"a":"x","b":1,"auth":"ACCESS1"}`},
		{"struct in declaration order", structParams{"z", 1},
			`{"ZETA":"z","ALPHA":1,"auth":"ACCESS1"}`},
		{"ordered keeps TASKID first",
			Ordered{{"TASKID", "5"}, {"FIELDS", Ordered{{"POST_MESSAGE", "hi"}}}},
			`{"TASKID":"5","FIELDS":{"POST_MESSAGE":"hi"},"auth":"ACCESS1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, p := setup(t, func(request) answer { return ok("3141") })
			var id int
			if err := c.Call(t.Context(), testMember, "task.commentitem.add", tt.params,
				&id); err != nil {
				t.Fatal(err)
			}

			want := []request{{Method: "POST", Path: "/rest/task.commentitem.add",
				ContentType: "application/json", Body: tt.wantBody}}
			if diff := cmp.Diff(want, p.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}

			if id != 3141 {
				t.Errorf("result = %d, want 3141", id)
			}
		})
	}
}

func TestCallRefusesParams(t *testing.T) {
	c, _, p := setup(t, func(request) answer { return ok("1") })
	err := c.Call(t.Context(), testMember, "x", []int{1}, nil)
	if err == nil || !strings.Contains(err.Error(), "encode params") {
		t.Fatalf("Call error = %v, want an encode error", err)
	}

	if n := len(p.requests()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

func TestCallOut(t *testing.T) {
	body := `{"result":{"tasks":[{"id":"8017"}]},"total":51,"next":50,"time":{}}`
	c, _, _ := setup(t, func(request) answer { return answer{status: 200, body: body} })

	var list ListResult
	if err := c.Call(t.Context(), testMember, "tasks.task.list", nil, &list); err != nil {
		t.Fatal(err)
	}

	var tasks struct {
		Tasks []struct {
			ID string `json:"id"`
		} `json:"tasks"`
	}
	if err := list.Decode(&tasks); err != nil {
		t.Fatal(err)
	}

	got := []any{list.Total, list.Next, list.HasNext, tasks.Tasks[0].ID}
	if diff := cmp.Diff([]any{51, 50, true, "8017"}, got); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}

	var raw json.RawMessage
	if err := c.Call(t.Context(), testMember, "tasks.task.list", nil, &raw); err != nil {
		t.Fatal(err)
	}

	if string(raw) != `{"tasks":[{"id":"8017"}]}` {
		t.Errorf("raw result = %s", raw)
	}
}

func TestCallErrors(t *testing.T) {
	tests := []struct {
		name     string
		answer   answer
		sentinel error
		wantAPI  *APIError
		wantRate *RateLimitError
	}{
		{name: "method not found",
			answer: answer{status: 404, body: `{"error":"ERROR_METHOD_NOT_FOUND",` +
				`"error_description":"Method not found!"}`},
			sentinel: ErrMethodNotFound,
			wantAPI: &APIError{Status: 404, Code: "ERROR_METHOD_NOT_FOUND",
				Description: "Method not found!", Method: "x.y"}},
		{name: "no auth",
			answer:   answer{status: 401, body: `{"error":"NO_AUTH_FOUND"}`},
			sentinel: ErrNoAuth,
			wantAPI:  &APIError{Status: 401, Code: "NO_AUTH_FOUND", Method: "x.y"}},
		{name: "error in a 200 answer",
			answer:   answer{status: 200, body: `{"error":"ACCESS_DENIED"}`},
			sentinel: ErrAccessDenied,
			wantAPI:  &APIError{Status: 200, Code: "ACCESS_DENIED", Method: "x.y"}},
		{name: "query limit",
			answer: answer{status: 503, body: `{"error":"QUERY_LIMIT_EXCEEDED",` +
				`"error_description":"Too many requests"}`},
			wantRate: &RateLimitError{RetryAfter: time.Second, Code: "QUERY_LIMIT_EXCEEDED",
				Method: "x.y"}},
		{name: "operation time",
			answer: answer{status: 429, body: `{"error":"OPERATION_TIME_LIMIT",` +
				`"time":{"operating_reset_at":1000030}}`},
			wantRate: &RateLimitError{RetryAfter: 30 * time.Second,
				Code: "OPERATION_TIME_LIMIT", Method: "x.y"}},
		{name: "html from a proxy",
			answer: answer{status: 502, body: `<html>bad gateway</html>`},
			wantAPI: &APIError{Status: 502, Description: "unexpected answer: Bad Gateway",
				Method: "x.y"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, _ := setup(t, func(request) answer { return tt.answer })
			c.now = func() time.Time { return time.Unix(1000000, 0) }
			err := c.Call(t.Context(), testMember, "x.y", nil, nil)
			if tt.sentinel != nil && !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}

			checkTyped(t, err, tt.wantAPI, tt.wantRate)
		})
	}
}

func checkTyped(t *testing.T, err error, wantAPI *APIError, wantRate *RateLimitError) {
	t.Helper()
	var api *APIError
	if errors.As(err, &api) != (wantAPI != nil) {
		t.Fatalf("error %v: APIError found = %v, want %v", err, api != nil, wantAPI != nil)
	}

	if diff := cmp.Diff(wantAPI, api); wantAPI != nil && diff != "" {
		t.Errorf("APIError (-want +got):\n%s", diff)
	}

	var rate *RateLimitError
	if errors.As(err, &rate) != (wantRate != nil) {
		t.Fatalf("error %v: RateLimitError found = %v", err, rate != nil)
	}

	if diff := cmp.Diff(wantRate, rate); wantRate != nil && diff != "" {
		t.Errorf("RateLimitError (-want +got):\n%s", diff)
	}
}

func TestCallMalformedAnswer(t *testing.T) {
	c, _, _ := setup(t, func(request) answer { return answer{status: 200, body: `{"result":`} })
	err := c.Call(t.Context(), testMember, "app.info", nil, nil)
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) || !strings.Contains(err.Error(), "app.info: malformed") {
		t.Fatalf("Call error = %v, want a malformed-answer error", err)
	}
}

// expiredFor answers expired_token to the tokens in expired and result 1 to the others.
func expiredFor(expired ...string) func(request) answer {
	return func(req request) answer {
		for _, tok := range expired {
			if strings.Contains(req.Body, `"auth":"`+tok+`"`) {
				return answer{status: 401, body: `{"error":"expired_token",` +
					`"error_description":"The access token provided has expired."}`}
			}
		}
		return ok("1")
	}
}

func TestCallRefresh(t *testing.T) {
	tests := []struct {
		name       string
		expired    []string
		refreshErr error
		wantErr    error
		wantBodies []string
		wantStale  []string
	}{
		{name: "refresh then retry", expired: []string{"ACCESS1"},
			wantBodies: []string{`{"auth":"ACCESS1"}`, `{"auth":"ACCESS2"}`},
			wantStale:  []string{"ACCESS1"}},
		{name: "only once", expired: []string{"ACCESS1", "ACCESS2"},
			wantErr:    ErrTokenExpired,
			wantBodies: []string{`{"auth":"ACCESS1"}`, `{"auth":"ACCESS2"}`},
			wantStale:  []string{"ACCESS1"}},
		{name: "refresh refused", expired: []string{"ACCESS1"},
			refreshErr: fmt.Errorf("store: %w", &APIError{Code: "invalid_grant"}),
			wantErr:    ErrInvalidGrant,
			wantBodies: []string{`{"auth":"ACCESS1"}`},
			wantStale:  []string{"ACCESS1"}},
		{name: "no refresh without expiry", expired: nil,
			wantBodies: []string{`{"auth":"ACCESS1"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, src, p := setup(t, expiredFor(tt.expired...))
			src.refreshErr = tt.refreshErr
			err := c.Call(t.Context(), testMember, "app.info", nil, nil)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Call error = %v, want %v", err, tt.wantErr)
			}

			var bodies []string
			for _, r := range p.requests() {
				bodies = append(bodies, r.Body)
			}

			if diff := cmp.Diff(tt.wantBodies, bodies); diff != "" {
				t.Errorf("bodies (-want +got):\n%s", diff)
			}

			if diff := cmp.Diff(tt.wantStale, src.stale); diff != "" {
				t.Errorf("Refresh calls (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallFollowsMove(t *testing.T) {
	for _, status := range []int{301, 302, 307, 308} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			moved := newTestPortal(t, func(request) answer { return ok(`"moved"`) })
			c, src, old := setup(t, func(req request) answer {
				return answer{status: status,
					location: moved.srv.URL + "/rest/" + "imbot.message.add?auth=LEAK"}
			})

			var got string
			params := map[string]string{"DIALOG_ID": "chat1"}
			err := c.Call(t.Context(), testMember, "imbot.message.add", params, &got)
			if err != nil || got != "moved" {
				t.Fatalf("Call = %q, %v", got, err)
			}

			want := []request{{Method: "POST", Path: "/rest/imbot.message.add",
				ContentType: "application/json", Body: `{"DIALOG_ID":"chat1","auth":"ACCESS1"}`}}
			for name, p := range map[string]*testPortal{"old": old, "new": moved} {
				if diff := cmp.Diff(want, p.requests()); diff != "" {
					t.Errorf("%s portal requests (-want +got):\n%s", name, diff)
				}
			}

			if diff := cmp.Diff([]string{moved.endpoint()}, src.moved); diff != "" {
				t.Errorf("EndpointMoved (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallMoveRefused(t *testing.T) {
	tests := []struct {
		name     string
		location func(self string) string
		wantErr  error
	}{
		{"host not allowed", func(string) string { return "https://evil.example/rest/x" },
			ErrHostNotAllowed},
		{"moved twice", func(self string) string { return self + "/rest/x" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var self string
			c, src, p := setup(t, func(request) answer {
				return answer{status: 302, location: tt.location(self)}
			})
			self = p.srv.URL

			err := c.Call(t.Context(), testMember, "x", nil, nil)
			if err == nil || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Call error = %v, want %v", err, tt.wantErr)
			}

			if len(src.moved) != 0 {
				t.Errorf("EndpointMoved called with %v", src.moved)
			}
		})
	}
}

func TestCallHostPolicy(t *testing.T) {
	c, src, p := setup(t, func(request) answer { return ok("1") })
	src.creds.ClientEndpoint = "https://evil.example/rest/"
	err := c.Call(t.Context(), testMember, "app.info", nil, nil)
	if !errors.Is(err, ErrHostNotAllowed) {
		t.Fatalf("Call error = %v, want ErrHostNotAllowed", err)
	}

	if n := len(p.requests()); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}

// fakeLimiter hands out a fixed wait and counts reservations.
type fakeLimiter struct {
	mu    sync.Mutex
	wait  time.Duration
	err   error
	calls int
}

// Reserve says "wait" once, then lets the call go, like a budget that refills.
func (l *fakeLimiter) Reserve(context.Context, string) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls > 1 {
		return 0, l.err
	}
	return l.wait, l.err
}

func TestCallLimiter(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		limiter  *fakeLimiter
		wantSent int
		reserves int // 0 means 1
		wantRate *RateLimitError
		wantErr  error
	}{
		{name: "no wait", ctx: t.Context(), limiter: &fakeLimiter{}, wantSent: 1},
		{name: "short wait", ctx: t.Context(), limiter: &fakeLimiter{wait: time.Millisecond},
			wantSent: 1, reserves: 2},
		{name: "wait over max", ctx: t.Context(), limiter: &fakeLimiter{wait: 5 * time.Second},
			wantRate: &RateLimitError{RetryAfter: 5 * time.Second,
				Code: "QUERY_LIMIT_EXCEEDED", Method: "app.info", Local: true}},
		{name: "limiter fails", ctx: t.Context(),
			limiter: &fakeLimiter{err: errors.New("redis down")}},
		{name: "cancelled while waiting", ctx: cancelled,
			limiter: &fakeLimiter{wait: 500 * time.Millisecond}, wantErr: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, p := setup(t, func(request) answer { return ok("1") },
				WithLimiter(tt.limiter), WithMaxWait(2*time.Second))
			err := c.Call(tt.ctx, testMember, "app.info", nil, nil)
			failed := tt.wantErr != nil && !errors.Is(err, tt.wantErr)
			if (err == nil) != (tt.wantSent == 1) || failed {
				t.Errorf("Call error = %v", err)
			}

			checkTyped(t, err, nil, tt.wantRate)
			reserves := max(tt.reserves, 1)
			if n := len(p.requests()); n != tt.wantSent || tt.limiter.calls != reserves {
				t.Errorf("sent %d (want %d), reserved %d (want %d)", n, tt.wantSent,
					tt.limiter.calls, reserves)
			}
		})
	}
}

func TestCallTransportErrorHoldsNoToken(t *testing.T) {
	c, src, p := setup(t, func(request) answer { return ok("1") })
	p.srv.Close()
	src.creds.AccessToken = "SECRET_ACCESS"
	err := c.Call(t.Context(), testMember, "app.info", nil, nil)
	if err == nil || strings.Contains(err.Error(), "SECRET_ACCESS") {
		t.Fatalf("Call error = %v, want an error without the token", err)
	}

	if !strings.Contains(err.Error(), "b24: app.info") {
		t.Errorf("error %q does not name the method", err)
	}
}

func TestWithAuth(t *testing.T) {
	tests := map[string]string{
		`{}`:      `{"auth":"t\"x"}`,
		`{"a":1}`: `{"a":1,"auth":"t\"x"}`,
	}
	for in, want := range tests {
		if got := string(withAuth([]byte(in), `t"x`)); got != want {
			t.Errorf("withAuth(%s) = %s, want %s", in, got, want)
		}
	}
}
