package figmafake_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
)

const (
	token   = "figd_fake-token-1"
	fileKey = "FakeFileKey1"
)

var bot = figma.User{ID: "100", Handle: "Figbot", Email: "bot@example.com"}

// setup starts a fake with one token and one file, and a client for it.
func setup(t *testing.T, opts ...figmafake.Option) (*figmafake.Server, *figma.Client) {
	t.Helper()
	s := figmafake.New(opts...)
	t.Cleanup(s.Close)

	s.AddToken(token, bot)
	s.AddFile(figmafake.File{
		Key: fileKey, Name: "Mockups", Version: "100",
		LastModified: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC),
		Nodes: []figmafake.Node{
			{ID: "1:2", Name: "Login", W: 375, H: 812},
			{ID: "1:3", Name: "Home", Type: "COMPONENT", W: 200, H: 100},
		},
	})
	return s, figma.NewClient(s.URL(), figma.WithToken(token))
}

func TestMeAndMeta(t *testing.T) {
	_, c := setup(t)

	me, err := c.Me(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := figma.User{ID: "100", Handle: "Figbot", Email: "bot@example.com",
		ImgURL: "https://s3-alpha.figma.com/profile/00000000-0000-0000-0000-000000000000"}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("Me (-want +got):\n%s", diff)
	}

	meta, err := c.FileMeta(t.Context(), fileKey)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{meta.Name, meta.Version, meta.EditorType, meta.URL, meta.FolderName,
		meta.LastTouchedAt.Format(time.RFC3339), meta.Creator.ID}
	wantMeta := []string{"Mockups", "100", "figma", "https://www.figma.com/design/" + fileKey +
		"/Mockups", "Drafts", "2025-05-01T10:00:00Z", "100"}
	if diff := cmp.Diff(wantMeta, got); diff != "" {
		t.Errorf("FileMeta (-want +got):\n%s", diff)
	}
}

func TestNodes(t *testing.T) {
	_, c := setup(t)

	got, err := c.Nodes(t.Context(), fileKey, []string{"1:2", "1-3", "9:9"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]*figma.Node{
		"1:2": {ID: "1:2", Name: "Login", Type: "FRAME",
			Bounds: &figma.Rect{Width: 375, Height: 812}},
		"1:3": {ID: "1:3", Name: "Home", Type: "COMPONENT",
			Bounds: &figma.Rect{Width: 200, Height: 100}},
		"9:9": nil,
	}
	if diff := cmp.Diff(want, got.Nodes); diff != "" {
		t.Errorf("Nodes (-want +got):\n%s", diff)
	}
	if got.Version != "100" || got.Name != "Mockups" {
		t.Errorf("Nodes header = %q %q", got.Name, got.Version)
	}
}

// renderPNG renders one node and downloads it.
func renderPNG(t *testing.T, c *figma.Client, id string, scale float64) []byte {
	t.Helper()
	r, err := c.Render(t.Context(), fileKey, []string{id}, figma.RenderOptions{Scale: scale})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Failed) != 0 {
		t.Fatalf("render failed: %v", r.Failed)
	}
	b, err := c.Download(t.Context(), r.URLs[id], 0)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRenderPictures(t *testing.T) {
	s, c := setup(t)

	tests := []struct {
		scale float64
		w, h  int
	}{
		{1, 375, 812},
		{0.5, 188, 406},
		{4, 1024, 1024},
	}
	for _, tt := range tests {
		b := renderPNG(t, c, "1:2", tt.scale)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("scale %v: not a PNG: %v", tt.scale, err)
		}
		if got := img.Bounds().Size(); got.X != tt.w || got.Y != tt.h {
			t.Errorf("scale %v: size %v, want %dx%d", tt.scale, got, tt.w, tt.h)
		}
	}

	before := renderPNG(t, c, "1:2", 1)
	if again := renderPNG(t, c, "1:2", 1); !bytes.Equal(before, again) {
		t.Error("the same version rendered two different pictures")
	}
	s.SetVersion(fileKey, "101")
	if after := renderPNG(t, c, "1:2", 1); bytes.Equal(before, after) {
		t.Error("a new version rendered the same picture")
	}
}

func TestRenderUnknownNodeAndThumbnail(t *testing.T) {
	_, c := setup(t)

	r, err := c.Render(t.Context(), fileKey, []string{"1:2", "7:7"}, figma.RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var re *figma.RenderError
	if len(r.URLs) != 1 || !errors.As(r.Failed["7:7"], &re) {
		t.Errorf("Render = %+v, want 1:2 rendered and 7:7 failed", r)
	}

	meta, err := c.FileMeta(t.Context(), fileKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Download(t.Context(), meta.ThumbnailURL, 0); err != nil {
		t.Errorf("thumbnail: %v", err)
	}
}

func TestComments(t *testing.T) {
	s, c := setup(t)
	person := figma.User{ID: "7", Handle: "Designer"}
	s.AddComment(fileKey, figma.Comment{Message: "Make it blue", User: person, NodeID: "1:2"})
	root := s.Comments(fileKey)[0]

	posted, err := c.PostComment(t.Context(), fileKey, figma.NewComment{
		Message: "On it", ReplyTo: root.ID})
	if err != nil {
		t.Fatal(err)
	}
	pinned, err := c.PostComment(t.Context(), fileKey, figma.NewComment{
		Message: "Preview", Pin: &figma.FrameOffset{NodeID: "1:3", X: 5, Y: 6}})
	if err != nil {
		t.Fatal(err)
	}

	got := summarize(s.Comments(fileKey))
	want := []string{
		"Designer|Make it blue|root|1:2|1",
		"Figbot|On it|" + root.ID + "|1:2|",
		"Figbot|Preview|root|1:3|2",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored comments (-want +got):\n%s", diff)
	}

	listed, err := c.Comments(t.Context(), fileKey)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{listed[0].ID, listed[1].ID, listed[2].ID}
	if diff := cmp.Diff([]string{pinned.ID, posted.ID, root.ID}, ids); diff != "" {
		t.Errorf("listed ids, newest first (-want +got):\n%s", diff)
	}
}

func summarize(cs []figma.Comment) []string {
	var out []string
	for _, c := range cs {
		parent := c.ParentID
		if parent == "" {
			parent = "root"
		}
		out = append(out, strings.Join(
			[]string{c.User.Handle, c.Message, parent, c.NodeID, c.OrderID}, "|"))
	}
	return out
}

func TestWebhookLifecycle(t *testing.T) {
	s, c := setup(t)

	created, err := c.CreateWebhook(t.Context(), figma.NewWebhook{
		EventType: figma.EventFileComment, Context: "FILE", ContextID: fileKey,
		Endpoint: "http://127.0.0.1:1/figma/webhook", Passcode: "p4ss", Description: "figbot",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := figma.Webhook{ID: created.ID, EventType: "FILE_COMMENT", Context: "file",
		ContextID: fileKey, Status: "ACTIVE", Endpoint: "http://127.0.0.1:1/figma/webhook",
		Description: "figbot", PlanAPIID: "team-1"}
	if diff := cmp.Diff(want, created); diff != "" {
		t.Errorf("CreateWebhook (-want +got):\n%s", diff)
	}

	listed, err := c.Webhooks(t.Context(), figma.WebhookContext{Kind: "file", ID: fileKey})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]figma.Webhook{want}, listed); diff != "" {
		t.Errorf("Webhooks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]figma.Webhook{want}, s.Webhooks()); diff != "" {
		t.Errorf("Server.Webhooks (-want +got):\n%s", diff)
	}

	if err := c.DeleteWebhook(t.Context(), created.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Webhook(t.Context(), created.ID); !errors.Is(err, figma.ErrNotFound) {
		t.Errorf("Webhook after delete = %v, want ErrNotFound", err)
	}
	if n := len(s.Webhooks()); n != 0 {
		t.Errorf("%d webhooks left after delete", n)
	}
}

// endpoint is a loopback webhook receiver that records deliveries.
type endpoint struct {
	srv    *httptest.Server
	mu     sync.Mutex // guards bodies
	bodies [][]byte
	got    chan struct{}
}

func newEndpoint(t *testing.T, status int) *endpoint {
	t.Helper()
	e := &endpoint{got: make(chan struct{}, 10)}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.bodies = append(e.bodies, b)
		e.mu.Unlock()
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "ok")
		e.got <- struct{}{}
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) received() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([][]byte(nil), e.bodies...)
}

func createHook(t *testing.T, c *figma.Client, event, endpoint string) figma.Webhook {
	t.Helper()
	h, err := c.CreateWebhook(t.Context(), figma.NewWebhook{EventType: event,
		Context: "file", ContextID: fileKey, Endpoint: endpoint, Passcode: "p4ss"})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestDeliver(t *testing.T) {
	s, c := setup(t, figmafake.WithClock(func() time.Time {
		return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	}))
	e := newEndpoint(t, http.StatusOK)
	h := createHook(t, c, figma.EventFileComment, e.srv.URL+"/figma/webhook")

	resp, err := s.Deliver(t.Context(), h.ID, map[string]any{
		"comment_id": "55", "comment": []map[string]string{{"text": "hello"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || string(b) != "ok" {
		t.Errorf("answer %d %q", resp.StatusCode, b)
	}

	ev, err := figma.ParseEvent(e.received()[0])
	if err != nil {
		t.Fatal(err)
	}
	want := figma.Event{Type: "FILE_COMMENT", Passcode: "p4ss", WebhookID: h.ID,
		Timestamp: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC), FileKey: fileKey,
		FileName: "Mockups", CommentID: "55", Comment: []figma.Fragment{{Text: "hello"}}}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("delivered event (-want +got):\n%s", diff)
	}

	reqs, err := c.WebhookRequests(t.Context(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].ResponseStatus != 200 || reqs[0].Endpoint != h.Endpoint ||
		!bytes.Equal(reqs[0].Payload, e.received()[0]) {
		t.Errorf("WebhookRequests = %+v", reqs)
	}
}

func TestDeliverKeepsGivenFields(t *testing.T) {
	s, c := setup(t)
	e := newEndpoint(t, http.StatusBadRequest)
	h := createHook(t, c, figma.EventFileUpdate, e.srv.URL)

	resp, err := s.Deliver(t.Context(), h.ID, map[string]any{"passcode": "wrong",
		"event_type": "PING"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want the endpoint's 400", resp.StatusCode)
	}

	var got map[string]any
	if err := json.Unmarshal(e.received()[0], &got); err != nil {
		t.Fatal(err)
	}
	if got["passcode"] != "wrong" || got["event_type"] != "PING" || got["file_key"] != nil {
		t.Errorf("delivered %v, want the given passcode and a PING without file_key", got)
	}
}

func TestDeliverRefusals(t *testing.T) {
	s, c := setup(t)
	remote := createHook(t, c, figma.EventFileUpdate, "https://bot.example.com/figma/webhook")
	paused, err := c.CreateWebhook(t.Context(), figma.NewWebhook{
		EventType: figma.EventFileVersionUpdate, Context: "file", ContextID: fileKey,
		Endpoint: "http://127.0.0.1:1/x", Passcode: "p", Status: figma.StatusPaused})
	if err != nil {
		t.Fatal(err)
	}

	for _, id := range []string{remote.ID, paused.ID, "404"} {
		if _, err := s.Deliver(t.Context(), id, nil); err == nil {
			t.Errorf("Deliver(%s) succeeded", id)
		}
	}

	reqs, err := c.WebhookRequests(t.Context(), remote.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 || reqs[0].Error == "" || reqs[0].ReceivedAt != nil {
		t.Errorf("refused delivery recorded as %+v", reqs)
	}
}

func TestPing(t *testing.T) {
	_, c := setup(t, figmafake.WithPing())
	e := newEndpoint(t, http.StatusOK)
	h := createHook(t, c, figma.EventFileUpdate, e.srv.URL)

	select {
	case <-e.got:
	case <-t.Context().Done():
		t.Fatal("no PING")
	case <-time.After(10 * time.Second):
		t.Fatal("no PING within 10s")
	}

	ev, err := figma.ParseEvent(e.received()[0])
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != "PING" || ev.WebhookID != h.ID || ev.Passcode != "p4ss" || ev.FileKey != "" {
		t.Errorf("PING = %+v", ev)
	}
}
