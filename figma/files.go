package figma

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// FileMeta is a file's metadata from GET /v1/files/:key/meta: the cheap way to see whether
// a file changed (compare Version or LastTouchedAt).
type FileMeta struct {
	Name          string
	Version       string
	LastTouchedAt time.Time
	LastTouchedBy *User // nil when Figma does not say
	Creator       *User
	ThumbnailURL  string
	EditorType    string // figma, figjam, slides, buzz, sites, make
	Role          string // the token user's role on the file: owner, editor, viewer
	LinkAccess    string // view, edit, org_view, ...
	URL           string
	FolderName    string // the project holding the file
}

type fileMetaFields struct {
	Name          string  `json:"name"`
	FolderName    string  `json:"folder_name"`
	LastTouchedAt optTime `json:"last_touched_at"`
	Creator       *User   `json:"creator"`
	LastTouchedBy *User   `json:"last_touched_by"`
	ThumbnailURL  string  `json:"thumbnail_url"`
	EditorType    string  `json:"editorType"`
	EditorTypeAlt string  `json:"editor_type"`
	Version       ID      `json:"version"`
	Role          string  `json:"role"`
	LinkAccess    string  `json:"link_access"`
	URL           string  `json:"url"`
}

// fileMetaResponse accepts both shapes: the docs wrap the fields in "file"; spec 0.37.0
// puts them at the top level (figma/rest-api-spec#92, fixed in a later spec release).
type fileMetaResponse struct {
	File *fileMetaFields `json:"file"`
	fileMetaFields
}

func (f fileMetaFields) meta() FileMeta {
	editor := f.EditorType
	if editor == "" {
		editor = f.EditorTypeAlt
	}
	return FileMeta{
		Name:          f.Name,
		Version:       string(f.Version),
		LastTouchedAt: f.LastTouchedAt.t,
		LastTouchedBy: f.LastTouchedBy,
		Creator:       f.Creator,
		ThumbnailURL:  f.ThumbnailURL,
		EditorType:    editor,
		Role:          f.Role,
		LinkAccess:    f.LinkAccess,
		URL:           f.URL,
		FolderName:    f.FolderName,
	}
}

// FileMeta returns the metadata of the file or branch key.
//
// Figma docs: https://developers.figma.com/docs/rest-api/file-endpoints
func (c *Client) FileMeta(ctx context.Context, key string) (FileMeta, error) {
	if key == "" {
		return FileMeta{}, fmt.Errorf("figma: file meta: %w", ErrNoFileKey)
	}

	var r fileMetaResponse
	path := "/v1/files/" + escape(key) + "/meta"
	if err := c.call(ctx, Tier3, http.MethodGet, path, nil, nil, &r); err != nil {
		return FileMeta{}, fmt.Errorf("figma: file meta: %w", err)
	}

	if r.File != nil {
		return r.File.meta(), nil
	}
	return r.fileMetaFields.meta(), nil
}

// Rect is a node's absolute bounding box on the canvas.
type Rect struct {
	X      float64 `json:"x"`
	Y      float64 `json:"y"`
	Width  float64 `json:"width"`
	Height float64 `json:"height"`
}

// Node is the top of one node's document: enough to name a frame and size its preview.
type Node struct {
	ID     string
	Name   string
	Type   string // FRAME, CANVAS, COMPONENT, ...
	Bounds *Rect  // absoluteBoundingBox; nil for nodes without one (pages, the document)
}

// Nodes is the answer of GET /v1/files/:key/nodes. Nodes has an entry for every requested
// id; the entry is nil when Figma does not know the node.
type Nodes struct {
	Name         string
	Version      string
	LastModified time.Time
	ThumbnailURL string
	Nodes        map[string]*Node
}

type nodesResponse struct {
	Name         string  `json:"name"`
	Version      ID      `json:"version"`
	LastModified optTime `json:"lastModified"`
	ThumbnailURL string  `json:"thumbnailUrl"`
	Nodes        map[string]*struct {
		Document *struct {
			ID     ID     `json:"id"`
			Name   string `json:"name"`
			Type   string `json:"type"`
			Bounds *Rect  `json:"absoluteBoundingBox"`
		} `json:"document"`
	} `json:"nodes"`
}

// Nodes returns the named nodes of a file, one level deep (depth=1). Ids may be in API
// form ("1:2") or link form ("1-2"); the map is keyed by API form.
//
// Figma docs: https://developers.figma.com/docs/rest-api/file-endpoints
func (c *Client) Nodes(ctx context.Context, key string, ids []string) (Nodes, error) {
	apiIDs, err := checkNodeArgs(key, ids)
	if err != nil {
		return Nodes{}, fmt.Errorf("figma: nodes: %w", err)
	}

	q := url.Values{"ids": {strings.Join(apiIDs, ",")}, "depth": {"1"}}
	var r nodesResponse
	path := "/v1/files/" + escape(key) + "/nodes"
	if err := c.call(ctx, Tier1, http.MethodGet, path, q, nil, &r); err != nil {
		return Nodes{}, fmt.Errorf("figma: nodes: %w", err)
	}

	return r.nodes(apiIDs), nil
}

func (r nodesResponse) nodes(ids []string) Nodes {
	out := Nodes{
		Name:         r.Name,
		Version:      string(r.Version),
		LastModified: r.LastModified.t,
		ThumbnailURL: r.ThumbnailURL,
		Nodes:        make(map[string]*Node, len(ids)),
	}
	for _, id := range ids {
		out.Nodes[id] = nil
	}
	for id, n := range r.Nodes {
		if n == nil || n.Document == nil {
			out.Nodes[id] = nil
			continue
		}
		d := n.Document
		out.Nodes[id] = &Node{ID: string(d.ID), Name: d.Name, Type: d.Type, Bounds: d.Bounds}
	}
	return out
}

// checkNodeArgs validates a key and a node id list, and returns the ids in API form with
// duplicates removed, in their first order.
func checkNodeArgs(key string, ids []string) ([]string, error) {
	if key == "" {
		return nil, ErrNoFileKey
	}
	if len(ids) == 0 {
		return nil, errors.New("no node ids")
	}

	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		apiID, ok := apiNodeID(id)
		if !ok {
			return nil, fmt.Errorf("node id %q: %w", id, ErrBadNodeID)
		}
		if !seen[apiID] {
			seen[apiID] = true
			out = append(out, apiID)
		}
	}
	return out, nil
}
