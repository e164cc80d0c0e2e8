// Package b24fake is a fake Bitrix24 portal and OAuth server over real HTTP on 127.0.0.1, for
// the bot's tests and its demo. It follows the published samples in
// /work/shared/reference/b24-samples: answers carry "result" and "time", ids are typed as the
// real API types them, errors use the real codes. It also builds the event bodies B24 would post
// to the bot. Everything it holds lives in memory; Close stops it and leaves no goroutine.
//
// Where the real behaviour is not published, the fake makes a choice and says so in the
// method's comment (see methods*.go).
package b24fake

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// AdminID is the user who installed the app; install tokens and events act as this user.
const AdminID = "1"

// Portal is a fake B24 portal. Its methods are safe for concurrent use.
type Portal struct {
	srv     *httptest.Server
	st      atomic.Pointer[state]
	movedTo atomic.Pointer[Portal]
}

// Option configures a Portal.
type Option func(*state)

// WithClientCredentials sets the app's client_id and client_secret the OAuth server accepts
// (default "local.fake.app" and "fake-client-secret").
func WithClientCredentials(id, secret string) Option {
	return func(s *state) { s.clientID, s.clientSecret = id, secret }
}

// WithUpperCaseUF makes tasks.task.get spell custom fields UF_FIGMA_URL instead of ufFigmaUrl;
// which spelling the real API uses is not settled (b24-facts 5).
func WithUpperCaseUF() Option {
	return func(s *state) { s.upperUF = true }
}

// New starts a portal on 127.0.0.1 at a random port. REST answers at URL()+"/rest/", OAuth at
// URL()+"/oauth/token/".
func New(opts ...Option) *Portal {
	st := newState()
	for _, opt := range opts {
		opt(st)
	}

	p := &Portal{}
	p.st.Store(st)
	p.srv = httptest.NewServer(http.HandlerFunc(p.serveHTTP))
	st.baseURL = p.srv.URL
	return p
}

// URL is the portal's base URL, like "http://127.0.0.1:41234".
func (p *Portal) URL() string { return p.srv.URL }

// ClientEndpoint is the REST endpoint, URL()+"/rest/".
func (p *Portal) ClientEndpoint() string { return p.srv.URL + "/rest/" }

// OAuthURL is the OAuth server's base URL (B24_OAUTH_URL); it is URL().
func (p *Portal) OAuthURL() string { return p.srv.URL }

// Close stops the server and waits for running requests.
func (p *Portal) Close() { p.srv.Close() }

// MemberID is the portal's member_id.
func (p *Portal) MemberID() string { return p.state().memberID }

// ApplicationToken is the app's application_token, sent with every event.
func (p *Portal) ApplicationToken() string { return p.state().appToken }

// ClientID is the client_id the OAuth server accepts.
func (p *Portal) ClientID() string { return p.state().clientID }

// ClientSecret is the client_secret the OAuth server accepts.
func (p *Portal) ClientSecret() string { return p.state().clientSecret }

func (p *Portal) state() *state { return p.st.Load() }

// MoveTo moves the portal to newPortal's address, as when a portal is renamed: from now on every
// REST call here is answered 302 with the same path at newPortal, and newPortal serves this
// portal's data (tokens, bots, chats, tasks, recorded calls); newPortal's own data is dropped.
// The OAuth server does not move. Close both portals.
func (p *Portal) MoveTo(newPortal *Portal) {
	st := p.state()
	st.mu.Lock()
	st.baseURL = newPortal.URL()
	st.mu.Unlock()

	newPortal.st.Store(st)
	p.movedTo.Store(newPortal)
}

func (p *Portal) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case strings.HasPrefix(r.URL.Path, "/oauth/token"):
		p.state().serveOAuth(w, r)
	case strings.HasPrefix(r.URL.Path, "/rest/"):
		p.serveREST(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (p *Portal) serveREST(w http.ResponseWriter, r *http.Request) {
	if to := p.movedTo.Load(); to != nil {
		target := to.URL() + r.URL.Path
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}

	st := p.state()
	switch strings.TrimPrefix(r.URL.Path, "/rest/") {
	case "download.json":
		st.serveDownload(w, r)
	case "upload.json":
		st.serveUpload(w, r)
	default:
		st.serveMethod(w, r)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// state is everything a portal holds. mu guards every field below it; handlers hold it for the
// whole call, so calls are serialised as if the portal had one worker.
type state struct {
	clientID     string
	clientSecret string
	memberID     string
	appToken     string
	upperUF      bool

	mu             sync.Mutex
	baseURL        string // where REST is served now; changes with MoveTo
	seq            int
	lastTS         int64
	access         map[string]*accessToken
	refresh        map[string]*refreshToken
	refreshCount   int
	rate           bucket
	faults         map[string]*Fault
	stalls         map[string]*stall
	stalled        int
	calls          []Call
	users          map[string]User
	bots           []*Bot
	commands       []*command
	chats          map[string]*Chat
	privateChats   map[string]string // user id -> chat id of the user's dialog with the bots
	history        map[string][]*Message
	messageDialog  map[string]string // message id -> dialog id
	tasks          map[string]*Task
	comments       map[string][]Comment
	userFields     []userField
	events         []EventBinding
	placements     []Placement
	files          []File
	folders        []Folder
	uploads        map[string]string // upload token -> "folder\x00name"
	blogPosts      []BlogPost
	notifications  []Notification
	installHandler string
}

type command struct {
	ID      string
	BotID   string
	Command string
	Handler string
}

type userField struct {
	ID         string
	FieldName  string
	UserTypeID string
	XMLID      string
}

func newState() *state {
	return &state{
		clientID:      "local.fake.app",
		clientSecret:  "fake-client-secret",
		memberID:      randomHex(16),
		appToken:      randomHex(16),
		seq:           1000,
		access:        map[string]*accessToken{},
		refresh:       map[string]*refreshToken{},
		faults:        map[string]*Fault{},
		stalls:        map[string]*stall{},
		users:         map[string]User{AdminID: adminUser},
		chats:         map[string]*Chat{},
		privateChats:  map[string]string{},
		history:       map[string][]*Message{},
		messageDialog: map[string]string{},
		tasks:         map[string]*Task{},
		comments:      map[string][]Comment{},
		uploads:       map[string]string{},
	}
}

var adminUser = User{ID: AdminID, Name: "Admin User", FirstName: "Admin", LastName: "User"}

// nextID hands out ids; one sequence for every kind keeps ids unique across kinds.
func (s *state) nextID() string {
	s.seq++
	return itoa(s.seq)
}

// nextTS is the event ts: unix seconds, strictly increasing per portal so that two events
// never share one (the bot's dedup key includes it).
func (s *state) nextTS() string {
	now := time.Now().Unix()
	if now <= s.lastTS {
		now = s.lastTS + 1
	}

	s.lastTS = now
	return itoa64(now)
}

func (s *state) domain() string {
	return strings.TrimPrefix(strings.TrimPrefix(s.baseURL, "http://"), "https://")
}

// stall holds the next calls of one method.
type stall struct {
	d     time.Duration
	times int
}

// Stall holds the next times calls of method for d before answering, like a portal that is
// slow to answer. A call whose client gives up meanwhile is not applied (the fake's choice: a
// real portal might still apply it), so a test can stop a worker mid-call.
func (p *Portal) Stall(method string, d time.Duration, times int) {
	p.with(func(s *state) {
		s.stalls[strings.ToLower(method)] = &stall{d: d, times: max(times, 1)}
	})
}

// Stalled counts the calls that have been held by Stall so far.
func (p *Portal) Stalled() int {
	n := 0
	p.with(func(s *state) { n = s.stalled })
	return n
}
