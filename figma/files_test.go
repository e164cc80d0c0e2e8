package figma

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const metaFields = `"name":"Mockups","folder_name":"Team project",
	"last_touched_at":"2025-05-01T10:00:00Z",
	"creator":{"id":"1","handle":"User One","img_url":"https://example.invalid/1.png"},
	"last_touched_by":{"id":2,"handle":"User Two"},
	"thumbnail_url":"https://example.invalid/t.png","editorType":"figma",
	"version":"2214516743","role":"editor","link_access":"view",
	"url":"https://www.figma.com/design/K/Mockups","unknown_field":[1,2]`

func TestFileMeta(t *testing.T) {
	want := FileMeta{
		Name: "Mockups", Version: "2214516743",
		LastTouchedAt: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC),
		LastTouchedBy: &User{ID: "2", Handle: "User Two"},
		Creator:       &User{ID: "1", Handle: "User One", ImgURL: "https://example.invalid/1.png"},
		ThumbnailURL:  "https://example.invalid/t.png", EditorType: "figma", Role: "editor",
		LinkAccess: "view", URL: "https://www.figma.com/design/K/Mockups",
		FolderName: "Team project",
	}
	tests := []struct {
		name string
		body string
		want FileMeta
	}{
		{"documented file wrapper", `{"file":{` + metaFields + `}}`, want},
		{"spec top level", `{` + metaFields + `}`, want},
		{"sparse", `{"file":{"name":"X","last_touched_at":"","creator":null,"version":7}}`,
			FileMeta{Name: "X", Version: "7"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("GET /v1/files/K/meta", 200, tt.body)

			got, err := c.FileMeta(t.Context(), "K")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FileMeta (-want +got):\n%s", diff)
			}
		})
	}
}

const nodesBody = `{"name":"Mockups","role":"owner","lastModified":"2025-05-01T10:00:00Z",
	"editorType":"figma","thumbnailUrl":"https://example.invalid/t.png","version":"99",
	"nodes":{
		"1:2":{"document":{"id":"1:2","name":"Login","type":"FRAME",
			"absoluteBoundingBox":{"x":10,"y":20,"width":375,"height":812},"children":[]},
			"components":{},"componentSets":{},"schemaVersion":0,"styles":{}},
		"0:1":{"document":{"id":"0:1","name":"Page 1","type":"CANVAS"}},
		"9:9":null}}`

func TestNodes(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v1/files/K/nodes", 200, nodesBody)

	got, err := c.Nodes(t.Context(), "K", []string{"1-2", "0:1", "9:9", "1:2", "5:5"})
	if err != nil {
		t.Fatal(err)
	}

	want := Nodes{
		Name: "Mockups", Version: "99",
		LastModified: time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC),
		ThumbnailURL: "https://example.invalid/t.png",
		Nodes: map[string]*Node{
			"1:2": {ID: "1:2", Name: "Login", Type: "FRAME",
				Bounds: &Rect{X: 10, Y: 20, Width: 375, Height: 812}},
			"0:1": {ID: "0:1", Name: "Page 1", Type: "CANVAS"},
			"9:9": nil,
			"5:5": nil,
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Nodes (-want +got):\n%s", diff)
	}
	wantQuery := "depth=1&ids=1%3A2%2C0%3A1%2C9%3A9%2C5%3A5"
	if q := api.requests()[0].Query; q != wantQuery {
		t.Errorf("query %q, want %q", q, wantQuery)
	}
}

func TestNodeArgErrors(t *testing.T) {
	tests := []struct {
		name string
		key  string
		ids  []string
		want error
	}{
		{"no key", "", []string{"1:2"}, ErrNoFileKey},
		{"no ids", "K", nil, nil},
		{"bad id", "K", []string{"1:2", "frame"}, ErrBadNodeID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			_, err := c.Nodes(t.Context(), tt.key, tt.ids)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Nodes() = %v, want %v", err, tt.want)
			}
			_, err = c.Render(t.Context(), tt.key, tt.ids, RenderOptions{})
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Render() = %v, want %v", err, tt.want)
			}
			if n := len(api.requests()); n != 0 {
				t.Errorf("%d requests sent for invalid arguments", n)
			}
		})
	}
}
