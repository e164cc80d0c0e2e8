package figmafake

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/figma"
)

// File is a Figma file the fake knows.
type File struct {
	Key          string
	Name         string
	Version      string    // "1" when empty
	LastModified time.Time // the fake's clock when zero
	EditorType   string    // figma, figjam, slides, make, ...; "figma" when empty
	Nodes        []Node
	MainKey      string // for a branch: the main file's key
	Folder       string // project name; "Drafts" when empty
	// Look pins the rendered picture: renders depend on it instead of the version when set,
	// so a test can make a new version that looks the same (or a different one).
	Look string
}

// Node is a node of a fake file, in API id form ("1:2"); W and H size its renders.
type Node struct {
	ID   string
	Name string
	Type string // FRAME when empty
	W, H float64
}

// AddFile adds or replaces a file.
func (s *Server) AddFile(f File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Version == "" {
		f.Version = "1"
	}
	if f.LastModified.IsZero() {
		f.LastModified = s.now()
	}
	if f.EditorType == "" {
		f.EditorType = "figma"
	}
	if f.Folder == "" {
		f.Folder = "Drafts"
	}
	f.Nodes = append([]Node(nil), f.Nodes...)
	s.files[f.Key] = &f
}

// SetVersion simulates an edit: the file gets version and a new LastModified, so its
// meta changes and its renders show a different picture. Unknown keys are ignored.
func (s *Server) SetVersion(key, version string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.files[key]; ok {
		f.Version = version
		f.LastModified = s.now()
	}
}

// SetLook pins how a file's renders look from now on (see File.Look).
func (s *Server) SetLook(key, look string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.files[key]; ok {
		f.Look = look
	}
}

// file returns a copy of a file.
func (s *Server) file(key string) (File, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[key]
	if !ok {
		return File{}, false
	}
	return *f, true
}

func (f File) node(id string) (Node, bool) {
	for _, n := range f.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// kinds maps editor types to link path words.
var kinds = map[string]string{
	"figma": "design", "figjam": "board", "slides": "slides", "make": "make",
	"sites": "site", "buzz": "buzz",
}

func (f File) url() string {
	l := figma.Link{FileKey: f.Key, MainKey: f.MainKey, Kind: kinds[f.EditorType],
		Title: f.Name}
	return l.URL()
}

type userJSON struct {
	ID     string `json:"id"`
	Handle string `json:"handle"`
	ImgURL string `json:"img_url"`
	Email  string `json:"email,omitempty"`
}

func toUserJSON(u figma.User) userJSON {
	img := u.ImgURL
	if img == "" {
		img = "https://s3-alpha.figma.com/profile/00000000-0000-0000-0000-000000000000"
	}
	return userJSON{ID: u.ID, Handle: u.Handle, ImgURL: img}
}

func (s *Server) handleMe(w http.ResponseWriter, _ *http.Request, u figma.User) {
	j := toUserJSON(u)
	j.Email = u.Email
	writeJSON(w, http.StatusOK, j)
}

// handleMeta answers GET /v1/files/:key/meta in the documented {"file":{...}} shape. The
// caller stands in as creator and last editor.
func (s *Server) handleMeta(w http.ResponseWriter, r *http.Request, u figma.User) {
	f, ok := s.file(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}

	writeJSON(w, http.StatusOK, map[string]any{"file": map[string]any{
		"name":            f.Name,
		"folder_name":     f.Folder,
		"last_touched_at": f.LastModified.UTC().Format(time.RFC3339),
		"creator":         toUserJSON(u),
		"last_touched_by": toUserJSON(u),
		"thumbnail_url":   s.renderURL(f, "", 1, "png"),
		"editorType":      f.EditorType,
		"version":         f.Version,
		"role":            "owner",
		"link_access":     "view",
		"url":             f.url(),
	}})
}

// handleNodes answers GET /v1/files/:key/nodes; unknown ids map to null.
func (s *Server) handleNodes(w http.ResponseWriter, r *http.Request, _ figma.User) {
	f, ok := s.file(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}
	ids, ok := idsParam(w, r)
	if !ok {
		return
	}
	if d := r.URL.Query().Get("depth"); d != "" {
		if n, err := strconv.Atoi(d); err != nil || n < 0 {
			writeErr(w, http.StatusBadRequest, "depth must be a non-negative integer")
			return
		}
	}

	nodes := map[string]any{}
	for _, id := range ids {
		nodes[id] = nil
		if n, ok := f.node(id); ok {
			nodes[id] = nodeJSON(n)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"name": f.Name, "role": "owner", "editorType": f.EditorType, "version": f.Version,
		"lastModified": f.LastModified.UTC().Format(time.RFC3339),
		"thumbnailUrl": s.renderURL(f, "", 1, "png"), "nodes": nodes,
	})
}

func nodeJSON(n Node) map[string]any {
	typ := n.Type
	if typ == "" {
		typ = "FRAME"
	}
	doc := map[string]any{
		"id": n.ID, "name": n.Name, "type": typ, "children": []any{},
		"absoluteBoundingBox": map[string]float64{"x": 0, "y": 0, "width": n.W, "height": n.H},
	}
	return map[string]any{
		"document": doc, "components": map[string]any{}, "componentSets": map[string]any{},
		"schemaVersion": 0, "styles": map[string]any{},
	}
}

// idsParam reads the required comma list "ids", answering 400 when it is missing.
func idsParam(w http.ResponseWriter, r *http.Request) ([]string, bool) {
	raw := r.URL.Query().Get("ids")
	if strings.TrimSpace(raw) == "" {
		writeErr(w, http.StatusBadRequest, "Missing required parameter: ids")
		return nil, false
	}

	var ids []string
	for id := range strings.SplitSeq(raw, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids, true
}
