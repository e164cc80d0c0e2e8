package figma

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

const testToken = "figd_test-token-do-not-leak"

// recorded is one request the test API received.
type recorded struct {
	Method string
	Path   string
	Query  string
	Header http.Header
	Body   string
}

// testAPI is an httptest fake of the Figma API: handlers registered per test answer with
// fixed bodies or samples from testdata, and every request is recorded.
type testAPI struct {
	t   *testing.T
	mux *http.ServeMux

	mu   sync.Mutex // guards reqs
	reqs []recorded
}

func (a *testAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.reqs = append(a.reqs, recorded{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
		Header: r.Header.Clone(), Body: string(body),
	})
	a.mu.Unlock()
	a.mux.ServeHTTP(w, r)
}

// requests returns what the API received so far.
func (a *testAPI) requests() []recorded {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]recorded(nil), a.reqs...)
}

// reply registers a fixed answer for a "METHOD /path" pattern.
func (a *testAPI) reply(pattern string, status int, body string, header ...string) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// setup starts a test API and a client for it that uses testToken.
func setup(t *testing.T, opts ...Option) (*Client, *testAPI) {
	t.Helper()
	api := &testAPI{t: t, mux: http.NewServeMux()}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	all := append([]Option{WithToken(testToken)}, opts...)
	return NewClient(srv.URL, all...), api
}

// fakeLimiter answers Reserve from a script and records the calls.
type fakeLimiter struct {
	mu      sync.Mutex // guards the fields below
	answers []time.Duration
	err     error
	calls   []string
}

func (l *fakeLimiter) Reserve(_ context.Context, identity string,
	tier Tier) (time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, identity+"/"+tier.String())
	if l.err != nil {
		return 0, l.err
	}
	if len(l.answers) == 0 {
		return 0, nil
	}
	d := l.answers[0]
	if len(l.answers) > 1 {
		l.answers = l.answers[1:]
	}
	return d, nil
}

func (l *fakeLimiter) recorded() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

const meBody = `{"id":"100000000000000001","handle":"User One",` +
	`"img_url":"https://example.invalid/a.png","email":"one@example.com"}`

func TestAuthHeaders(t *testing.T) {
	tests := []struct {
		name       string
		opts       []Option
		wantToken  string
		wantBearer string
	}{
		{"personal token", nil, testToken, ""},
		{"token source", []Option{WithTokenSource(oauth2.StaticTokenSource(
			&oauth2.Token{AccessToken: "oauth-access", TokenType: "bearer"}))},
			"", "Bearer oauth-access"},
		{"token after source", []Option{
			WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "x"})),
			WithToken("pat-2")}, "pat-2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t, tt.opts...)
			api.reply("GET /v1/me", 200, meBody)
			if _, err := c.Me(t.Context()); err != nil {
				t.Fatal(err)
			}

			h := api.requests()[0].Header
			got := []string{h.Get("X-Figma-Token"), h.Get("Authorization")}
			if diff := cmp.Diff([]string{tt.wantToken, tt.wantBearer}, got); diff != "" {
				t.Errorf("auth headers (-want +got):\n%s", diff)
			}
		})
	}
}

type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) {
	return nil, &oauth2.RetrieveError{ErrorCode: "invalid_grant"}
}

func TestTokenSourceError(t *testing.T) {
	c, api := setup(t, WithTokenSource(failingSource{}))
	api.reply("GET /v1/me", 200, meBody)

	_, err := c.Me(t.Context())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("Me() = %v, want the token source's *oauth2.RetrieveError", err)
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests sent without a token", n)
	}
}

func TestMe(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v1/me", 200, meBody)

	got, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := User{ID: "100000000000000001", Handle: "User One",
		ImgURL: "https://example.invalid/a.png", Email: "one@example.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Me (-want +got):\n%s", diff)
	}
}

func TestLimiterRefusesLocally(t *testing.T) {
	lim := &fakeLimiter{answers: []time.Duration{5 * time.Second}}
	c, api := setup(t, WithLimiter(lim, "user-1"), WithMaxWait(2*time.Second))
	api.reply("GET /v1/me", 200, meBody)

	_, err := c.Me(t.Context())
	var rl *RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("Me() = %v, want *RateLimitError", err)
	}
	if diff := cmp.Diff(&RateLimitError{RetryAfter: 5 * time.Second, Local: true}, rl); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests sent despite the budget", n)
	}
}

func TestLimiterError(t *testing.T) {
	boom := errors.New("redis down")
	lim := &fakeLimiter{err: boom}
	c, api := setup(t, WithLimiter(lim, "user-1"))
	api.reply("GET /v1/me", 200, meBody)

	if _, err := c.Me(t.Context()); !errors.Is(err, boom) {
		t.Fatalf("Me() = %v, want the limiter's error", err)
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("%d requests sent without a budget", n)
	}
}

func TestReserveWaits(t *testing.T) {
	tests := []struct {
		name      string
		answers   []time.Duration
		maxWait   time.Duration
		timeout   time.Duration
		wantWait  time.Duration
		wantErr   error
		wantCalls int
	}{
		{"goes at once", []time.Duration{0}, 2 * time.Second, 0, 0, nil, 1},
		{"waits then goes", []time.Duration{500 * time.Millisecond, 0}, 2 * time.Second, 0,
			500 * time.Millisecond, nil, 2},
		{"gives up past max wait", []time.Duration{1500 * time.Millisecond, time.Second},
			2 * time.Second, 0, 1500 * time.Millisecond,
			&RateLimitError{RetryAfter: time.Second, Local: true}, 2},
		{"bounded tries", []time.Duration{time.Millisecond}, time.Hour, 0,
			4 * time.Millisecond, &RateLimitError{RetryAfter: time.Millisecond, Local: true}, 5},
		{"context ends the wait", []time.Duration{time.Second}, 2 * time.Second,
			100 * time.Millisecond, 100 * time.Millisecond, context.DeadlineExceeded, 1},
		{"zero max wait", []time.Duration{time.Millisecond}, 0, 0, 0,
			&RateLimitError{RetryAfter: time.Millisecond, Local: true}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				lim := &fakeLimiter{answers: tt.answers}
				c := NewClient("", WithLimiter(lim, "id"), WithMaxWait(tt.maxWait))
				ctx := t.Context()
				if tt.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tt.timeout)
					defer cancel()
				}

				start := time.Now()
				err := c.reserve(ctx, Tier1)
				waited := time.Since(start)

				checkReserveErr(t, err, tt.wantErr)
				if waited != tt.wantWait {
					t.Errorf("waited %v, want %v", waited, tt.wantWait)
				}
				if n := len(lim.recorded()); n != tt.wantCalls {
					t.Errorf("Reserve called %d times, want %d", n, tt.wantCalls)
				}
			})
		})
	}
}

func checkReserveErr(t *testing.T, err, want error) {
	t.Helper()
	var wantRL *RateLimitError
	if errors.As(want, &wantRL) {
		var rl *RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("reserve = %v, want %v", err, want)
		}
		if diff := cmp.Diff(wantRL, rl); diff != "" {
			t.Errorf("error (-want +got):\n%s", diff)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("reserve = %v, want %v", err, want)
	}
}

// TestTiers checks that each method takes its budget from its Figma tier.
func TestTiers(t *testing.T) {
	calls := []struct {
		name string
		tier Tier
		call func(context.Context, *Client) error
	}{
		{"me", Tier3, func(ctx context.Context, c *Client) error {
			_, err := c.Me(ctx)
			return err
		}},
		{"meta", Tier3, func(ctx context.Context, c *Client) error {
			_, err := c.FileMeta(ctx, "K")
			return err
		}},
		{"nodes", Tier1, func(ctx context.Context, c *Client) error {
			_, err := c.Nodes(ctx, "K", []string{"1:2"})
			return err
		}},
		{"render", Tier1, func(ctx context.Context, c *Client) error {
			_, err := c.Render(ctx, "K", []string{"1:2"}, RenderOptions{})
			return err
		}},
		{"comments", Tier2, func(ctx context.Context, c *Client) error {
			_, err := c.Comments(ctx, "K")
			return err
		}},
		{"post comment", Tier2, func(ctx context.Context, c *Client) error {
			_, err := c.PostComment(ctx, "K", NewComment{Message: "hi"})
			return err
		}},
		{"webhooks", Tier2, func(ctx context.Context, c *Client) error {
			_, err := c.Webhooks(ctx, WebhookContext{Kind: "file", ID: "K"})
			return err
		}},
		{"delete webhook", Tier2, func(ctx context.Context, c *Client) error {
			return c.DeleteWebhook(ctx, "1")
		}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			lim := &fakeLimiter{}
			c, api := setup(t, WithLimiter(lim, "pat:1"))
			api.reply("/", 200, `{}`)
			if err := tt.call(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			want := []string{"pat:1/" + tt.tier.String()}
			if diff := cmp.Diff(want, lim.recorded()); diff != "" {
				t.Errorf("reservations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBodies(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		wantErr error
	}{
		{"malformed", `{"id":`, nil},
		{"wrong type", `{"id":true}`, nil},
		{"too large", `{"handle":"` + strings.Repeat("x", maxBody) + `"}`, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("GET /v1/me", 200, tt.body)

			_, err := c.Me(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Me() = %v, want %v", err, tt.wantErr)
			}
			var ae *APIError
			if errors.As(err, &ae) {
				t.Errorf("a bad 200 body became an APIError: %v", err)
			}
		})
	}
}
