// Package figmafake is a fake Figma REST API over real HTTP on 127.0.0.1, for the bot's
// tests and its demo command. It serves the endpoints figbot uses with the shapes of
// reference/figma-samples, checks tokens, methods and parameters, enforces Figma's
// webhook and rate limits when asked, renders real PNG pictures, records every call, and
// delivers webhook events to loopback endpoints only.
//
// Choices where the real API is not documented:
//   - A known path called with the wrong method answers 404 {"status":404,"err":"Not found"},
//     as an unknown route does: Figma routes by method and path.
//   - Route and method are checked first, then the token (403), then the rate limit (429).
//     Faults set with Fail come before all of these.
//   - A webhook on an unknown file answers 404 in the error-boolean shape.
package figmafake

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/figbot/figbot/figma"
)

const (
	maxRequestBody = 1 << 20 // request bodies read and recorded
	maxCalls       = 100000  // calls kept; the oldest go first
)

// Server is a running fake. All methods are safe for concurrent use.
type Server struct {
	srv       *httptest.Server
	mux       *http.ServeMux
	now       func() time.Time
	ping      bool
	transport *http.Transport // deliveries; never proxied
	ctx       context.Context // ends on Close, stopping deliveries
	cancel    context.CancelFunc
	wg        sync.WaitGroup // PING deliveries in flight

	mu       sync.Mutex // guards every field below
	tokens   map[string]figma.User
	files    map[string]*File
	comments map[string][]*comment
	hooks    map[string]*hook
	order    []string // hook ids in creation order
	renders  map[string]render
	faults   []*faultRule
	limits   map[figma.Tier]int
	hits     map[hitKey][]time.Time
	calls    []Call
	nextID   int
	oauth    *oauthApp // WithOAuthClient; nil = no OAuth app
}

// Option configures a Server in New.
type Option func(*Server)

// WithClock sets the clock used for timestamps and rate windows (default time.Now).
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// WithPing makes creating an ACTIVE webhook deliver a PING to it in the background, as
// Figma does. It is off by default so that tests see only the deliveries they make.
func WithPing() Option {
	return func(s *Server) {
		s.ping = true
	}
}

// Call is one request the fake received.
type Call struct {
	Method string
	Path   string
	Query  url.Values
	Body   []byte
	Token  string // identity: the id of the token's user; "" without a known token
	At     time.Time
}

// New starts a fake on 127.0.0.1 at a random port. Close it when done.
func New(opts ...Option) *Server {
	s := &Server{
		mux:       http.NewServeMux(),
		now:       time.Now,
		transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4},
		tokens:    map[string]figma.User{},
		files:     map[string]*File{},
		comments:  map[string][]*comment{},
		hooks:     map[string]*hook{},
		renders:   map[string]render{},
		hits:      map[hitKey][]time.Time{},
		nextID:    1000,
	}
	for _, opt := range opts {
		opt(s)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.routes()
	s.srv = httptest.NewServer(s)
	return s
}

// URL is the fake's base URL, to use as FIGMA_API_URL.
func (s *Server) URL() string {
	return s.srv.URL
}

// Close stops the server, ends deliveries in flight and waits for them.
func (s *Server) Close() {
	s.cancel()
	s.srv.Close()
	s.wg.Wait()
	s.transport.CloseIdleConnections()
}

// AddToken makes token valid, as X-Figma-Token or Bearer, acting for u.
func (s *Server) AddToken(token string, u figma.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = u
}

func (s *Server) routes() {
	s.mux.HandleFunc("/v1/me", s.endpoint(figma.Tier3, handlers{"GET": s.handleMe}))
	s.mux.HandleFunc("/v1/files/{key}/meta", s.endpoint(figma.Tier3,
		handlers{"GET": s.handleMeta}))
	s.mux.HandleFunc("/v1/files/{key}/nodes", s.endpoint(figma.Tier1,
		handlers{"GET": s.handleNodes}))
	s.mux.HandleFunc("/v1/images/{key}", s.endpoint(figma.Tier1,
		handlers{"GET": s.handleImages}))
	s.mux.HandleFunc("/v1/files/{key}/comments", s.endpoint(figma.Tier2,
		handlers{"GET": s.handleComments, "POST": s.handlePostComment}))
	s.mux.HandleFunc("/v2/webhooks", s.endpoint(figma.Tier2,
		handlers{"GET": s.handleListHooks, "POST": s.handleCreateHook}))
	s.mux.HandleFunc("/v2/webhooks/{id}", s.endpoint(figma.Tier2,
		handlers{"GET": s.handleGetHook, "DELETE": s.handleDeleteHook}))
	s.mux.HandleFunc("/v2/webhooks/{id}/requests", s.endpoint(figma.Tier2,
		handlers{"GET": s.handleHookRequests}))
	s.mux.HandleFunc("GET /render/{name}", s.handleRender)
	s.mux.HandleFunc("POST /v1/oauth/token", s.handleOAuthToken)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeErr(w, http.StatusNotFound, "Not found")
	})
}

// ServeHTTP records the call, answers a pending fault, or routes the request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	r.Body = io.NopCloser(bytes.NewReader(body))

	u, _ := s.user(r)
	s.record(Call{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body,
		Token: u.ID, At: s.now()})

	if f, ok := s.takeFault(r.Method, r.URL.Path); ok {
		f.write(w)
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) >= maxCalls {
		s.calls = s.calls[1:]
	}
	s.calls = append(s.calls, c)
}

// Calls returns every recorded call, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallCount counts recorded calls with method ("" = any) whose path starts with pathPrefix.
func (s *Server) CallCount(method, pathPrefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if (method == "" || c.Method == method) && strings.HasPrefix(c.Path, pathPrefix) {
			n++
		}
	}
	return n
}

// handler serves one authenticated API call for user u.
type handler func(w http.ResponseWriter, r *http.Request, u figma.User)

type handlers map[string]handler

// endpoint checks method, token and rate limit before calling the handler.
func (s *Server) endpoint(tier figma.Tier, hs handlers) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h, ok := hs[r.Method]
		if !ok {
			writeErr(w, http.StatusNotFound, "Not found")
			return
		}

		u, ok := s.user(r)
		if !ok {
			writeErr(w, http.StatusForbidden, "Invalid token")
			return
		}

		if wait, limited := s.takeBudget(u.ID, tier); limited {
			writeRateLimited(w, wait)
			return
		}
		h(w, r, u)
	}
}

// user finds the token's user from X-Figma-Token or "Authorization: Bearer".
func (s *Server) user(r *http.Request) (figma.User, bool) {
	token := r.Header.Get("X-Figma-Token")
	if token == "" {
		scheme, rest, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			token = strings.TrimSpace(rest)
		}
	}
	if token == "" {
		return figma.User{}, false
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.tokens[token]
	return u, ok
}

// nextIDLocked returns a new numeric id; the caller holds s.mu.
func (s *Server) nextIDLocked() string {
	s.nextID++
	return strconv.Itoa(s.nextID)
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeErr answers in the {"status":n,"err":"..."} shape of file, image and comment reads.
func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"status": status, "err": msg})
}

// writeErrBool answers in the {"error":true,"status":n,"message":"..."} shape of webhook
// and comment-post errors.
func writeErrBool(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": true, "status": status, "message": msg})
}
