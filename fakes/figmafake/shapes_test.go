package figmafake_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/figma"
)

func sample(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkShape reports every key of want that got lacks, or holds with another JSON type,
// recursing into objects and the first element of arrays. A null on either side matches
// any type: Figma sends null for optional values.
func checkShape(t *testing.T, where string, want, got any) {
	t.Helper()
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			t.Errorf("%s: got %T, want an object", where, got)
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				t.Errorf("%s.%s: missing", where, k)
				continue
			}
			checkShape(t, where+"."+k, wv, gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(w) == 0 || len(g) == 0 {
			if !ok {
				t.Errorf("%s: got %T, want an array", where, got)
			}
			return
		}
		checkShape(t, where+"[0]", w[0], g[0])
	default:
		if want != nil && got != nil && jsonType(want) != jsonType(got) {
			t.Errorf("%s: got %T, want %T", where, got, want)
		}
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	}
	return "other"
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestShapesMatchSamples(t *testing.T) {
	s, _ := setup(t)
	resolved := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s.AddComment(fileKey, figma.Comment{Message: "r", NodeID: "1:3", ResolvedAt: &resolved})
	s.AddComment(fileKey, figma.Comment{Message: "m", NodeID: "1:2",
		User: figma.User{ID: "7", Handle: "D"}})
	auth := []string{"X-Figma-Token", token}

	_, comments := call(t, s, "GET", "/v1/files/"+fileKey+"/comments", "", auth...)
	checkShape(t, "comments", sample(t, "comments-list-response.json"), comments)

	_, images := call(t, s, "GET", "/v1/images/"+fileKey+"?ids=1:2,1:3", "", auth...)
	if diff := cmp.Diff(keys(sample(t, "images-response.json")), keys(images)); diff != "" {
		t.Errorf("images keys (-sample +fake):\n%s", diff)
	}
	urls, _ := images["images"].(map[string]any)
	if diff := cmp.Diff([]string{"1:2", "1:3"}, keys(urls)); diff != "" {
		t.Errorf("images node ids (-want +got):\n%s", diff)
	}
	for id, u := range urls {
		checkShape(t, "images."+id, "https://storage.example/x", u)
	}

	_, refused := call(t, s, "GET", "/v1/me", "", "X-Figma-Token", "bad")
	if diff := cmp.Diff(sample(t, "error-403-invalid-token.json"), refused); diff != "" {
		t.Errorf("403 body (-sample +fake):\n%s", diff)
	}
}

// TestShapesMatchSpec checks the fields the spec marks as required, for answers that have
// no recorded sample.
func TestShapesMatchSpec(t *testing.T) {
	s, _ := setup(t)
	auth := []string{"X-Figma-Token", token}
	_, meta := call(t, s, "GET", "/v1/files/"+fileKey+"/meta", "", auth...)
	_, nodes := call(t, s, "GET", "/v1/files/"+fileKey+"/nodes?ids=1:2", "", auth...)
	_, me := call(t, s, "GET", "/v1/me", "", auth...)
	_, hook := call(t, s, "POST", "/v2/webhooks", `{"event_type":"FILE_UPDATE",`+
		`"context":"file","context_id":"`+fileKey+`","endpoint":"https://e/h","passcode":"p"}`,
		auth...)
	_, got := call(t, s, "GET", "/v2/webhooks/"+hook["id"].(string), "", auth...)

	file, _ := meta["file"].(map[string]any)
	node, _ := nodes["nodes"].(map[string]any)["1:2"].(map[string]any)
	tests := []struct {
		name string
		obj  map[string]any
		keys []string
	}{
		{"meta.file", file, []string{"name", "folder_name", "last_touched_at", "creator",
			"last_touched_by", "thumbnail_url", "editorType", "role", "link_access", "url",
			"version"}},
		{"nodes", nodes, []string{"name", "role", "lastModified", "editorType", "thumbnailUrl",
			"version", "nodes"}},
		{"nodes.node", node, []string{"document", "components", "componentSets",
			"schemaVersion", "styles"}},
		{"me", me, []string{"id", "handle", "img_url", "email"}},
		{"webhook", got, []string{"id", "event_type", "team_id", "context", "context_id",
			"plan_api_id", "status", "client_id", "passcode", "endpoint", "description"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range tt.keys {
				if _, ok := tt.obj[k]; !ok {
					t.Errorf("%s lacks %q: %v", tt.name, k, tt.obj)
				}
			}
		})
	}

	if got["context"] != "FILE" || got["passcode"] != "" || hook["passcode"] != "p" {
		t.Errorf("webhook context %v, passcode on GET %q, on POST %q; want FILE, \"\", p",
			got["context"], got["passcode"], hook["passcode"])
	}
}

func TestDeliveryShapesMatchSamples(t *testing.T) {
	s, c := setup(t)
	e := newEndpoint(t, http.StatusOK)
	tests := []struct {
		sample string
		event  string
		extra  map[string]any
	}{
		{"webhook-ping.json", figma.EventPing, nil},
		{"webhook-file-comment.json", figma.EventFileComment, map[string]any{
			"comment_id": "32", "comment": []map[string]string{{"text": "x"}},
			"created_at": "2020-02-23T20:27:16Z", "mentions": []any{}, "order_id": "1",
			"parent_id": "", "resolved_at": "", "triggered_by": map[string]string{
				"id": "1", "handle": "A"}}},
		{"webhook-file-version-update.json", figma.EventFileVersionUpdate, map[string]any{
			"created_at": "2020-02-23T20:27:16Z", "description": "d", "label": "l",
			"version_id": "9", "triggered_by": map[string]string{"id": "1", "handle": "A"}}},
	}
	for i, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			h := createHook(t, c, figma.EventFileVersionUpdate, e.srv.URL)
			payload := map[string]any{"event_type": tt.event}
			for k, v := range tt.extra {
				payload[k] = v
			}
			if _, err := s.Deliver(t.Context(), h.ID, payload); err != nil {
				t.Fatal(err)
			}

			var got map[string]any
			if err := json.Unmarshal(e.received()[i], &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(keys(sample(t, tt.sample)), keys(got)); diff != "" {
				t.Errorf("payload keys (-sample +fake):\n%s", diff)
			}
			checkShape(t, tt.sample, sample(t, tt.sample), got)
			if err := c.DeleteWebhook(t.Context(), h.ID); err != nil {
				t.Fatal(err)
			}
		})
	}
}
