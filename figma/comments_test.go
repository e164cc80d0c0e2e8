package figma

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCommentsSample(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v1/files/FILEKEY_PLACEHOLDER_D4XY/comments", 200,
		string(readSample(t, "comments-list-response.json")))

	got, err := c.Comments(t.Context(), "FILEKEY_PLACEHOLDER_D4XY")
	if err != nil {
		t.Fatal(err)
	}

	user := User{ID: "100000000000000004", Handle: "User Four",
		ImgURL: "https://s3-alpha.figma.com/profile/00000000-0000-0000-0000-000000000004"}
	resolved := time.Date(2019, 4, 22, 0, 47, 37, 0, time.UTC)
	want := []Comment{
		{ID: "5951919", FileKey: "FILEKEY_PLACEHOLDER_D4XY", User: user,
			CreatedAt: time.Date(2019, 4, 22, 2, 33, 33, 0, time.UTC),
			Message:   `{"arguments": {"loop": false}}`, OrderID: "5", NodeID: "56:2"},
		{ID: "5951377", FileKey: "FILEKEY_PLACEHOLDER_D4XY", User: user,
			CreatedAt:  time.Date(2019, 4, 22, 0, 46, 2, 0, time.UTC),
			ResolvedAt: &resolved,
			Message: "{\n    \"info\": \"Start on hover\",\n    \"arguments\": {\n        " +
				"\"loop\": true,\n        \"speed\": 5,\n        \"autoplay\": true\n    }\n}",
			OrderID: "3", NodeID: "56:2"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Comments (-want +got):\n%s", diff)
	}
}

func TestCommentShapes(t *testing.T) {
	body := `{"comments":[
		{"id":7,"file_key":"K","parent_id":"5","user":{"id":1,"handle":"A"},
		 "created_at":"2025-01-02T03:04:05.678Z","resolved_at":null,"message":"reply",
		 "order_id":null,"client_meta":{"x":1,"y":2},"reactions":[]},
		{"id":"8","file_key":"K","user":{"id":"2","handle":"B"},"created_at":"2025-01-02T03:04:05Z",
		 "message":"region","client_meta":{"node_id":"3:4","node_offset":{"x":1,"y":2},
		 "region_height":10,"region_width":10}}]}`
	c, api := setup(t)
	api.reply("GET /v1/files/K/comments", 200, body)

	got, err := c.Comments(t.Context(), "K")
	if err != nil {
		t.Fatal(err)
	}

	want := []Comment{
		{ID: "7", FileKey: "K", ParentID: "5", User: User{ID: "1", Handle: "A"},
			CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 678e6, time.UTC), Message: "reply"},
		{ID: "8", FileKey: "K", User: User{ID: "2", Handle: "B"},
			CreatedAt: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), Message: "region",
			NodeID: "3:4"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Comments (-want +got):\n%s", diff)
	}
}

const postedComment = `{"id":"9","file_key":"K","parent_id":"","user":{"id":"1","handle":"Bot"},
	"created_at":"2025-01-02T03:04:05Z","resolved_at":null,"message":"hi","order_id":"4",
	"client_meta":{"node_id":"1:2","node_offset":{"x":10,"y":20.5}},"reactions":[]}`

func TestPostComment(t *testing.T) {
	tests := []struct {
		name     string
		in       NewComment
		wantBody string
	}{
		{"plain", NewComment{Message: "hi"}, `{"message":"hi"}`},
		{"reply", NewComment{Message: "hi", ReplyTo: "5951919"},
			`{"message":"hi","comment_id":"5951919"}`},
		{"pinned with link-form id", NewComment{Message: "hi",
			Pin: &FrameOffset{NodeID: "1-2", X: 10, Y: 20.5}},
			`{"message":"hi","client_meta":{"node_id":"1:2","node_offset":{"x":10,"y":20.5}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("POST /v1/files/K/comments", 200, postedComment)

			got, err := c.PostComment(t.Context(), "K", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "9" || got.NodeID != "1:2" || got.User.Handle != "Bot" {
				t.Errorf("PostComment returned %+v", got)
			}
			r := api.requests()[0]
			if diff := cmp.Diff(tt.wantBody, r.Body); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestPostCommentRefusals(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		in     NewComment
		want   error
		status int
		body   string
	}{
		{"empty message", "K", NewComment{Message: "  "}, nil, 0, ""},
		{"bad pin", "K", NewComment{Message: "x", Pin: &FrameOffset{NodeID: "top"}},
			ErrBadNodeID, 0, ""},
		{"no key", "", NewComment{Message: "x"}, ErrNoFileKey, 0, ""},
		{"figma refuses reply to reply", "K", NewComment{Message: "x", ReplyTo: "7"},
			ErrBadRequest, 400, `{"error":true,"status":400,"message":"Cannot reply to a reply"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			if tt.status != 0 {
				api.reply("POST /v1/files/K/comments", tt.status, tt.body)
			}

			_, err := c.PostComment(t.Context(), tt.key, tt.in)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Fatalf("PostComment() = %v, want %v", err, tt.want)
			}
			wantCalls := 0
			if tt.status != 0 {
				wantCalls = 1
			}
			if n := len(api.requests()); n != wantCalls {
				t.Errorf("%d calls, want %d", n, wantCalls)
			}
		})
	}
}
