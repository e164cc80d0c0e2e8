package figmafake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/figma"
)

// comment is a stored comment with its client_meta as posted.
type comment struct {
	c    figma.Comment
	meta json.RawMessage
}

// AddComment adds a comment to a file as if a person had left it. Empty ID, FileKey,
// CreatedAt and (for root comments) OrderID are filled in; a NodeID pins it to that
// frame's top-left corner.
func (s *Server) AddComment(key string, c figma.Comment) {
	meta := []byte(`{"x":0,"y":0}`)
	if c.NodeID != "" {
		meta, _ = json.Marshal(map[string]any{
			"node_id": c.NodeID, "node_offset": map[string]float64{"x": 0, "y": 0},
		})
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.addCommentLocked(key, c, meta)
}

// addCommentLocked stores a comment; the caller holds s.mu.
func (s *Server) addCommentLocked(key string, c figma.Comment, meta json.RawMessage) *comment {
	c.FileKey = key
	if c.ID == "" {
		c.ID = s.nextIDLocked()
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now().UTC().Truncate(time.Second)
	}
	if c.ParentID == "" && c.OrderID == "" {
		c.OrderID = strconv.Itoa(s.rootCountLocked(key) + 1)
	}
	cm := &comment{c: c, meta: meta}
	s.comments[key] = append(s.comments[key], cm)
	return cm
}

func (s *Server) rootCountLocked(key string) int {
	n := 0
	for _, cm := range s.comments[key] {
		if cm.c.ParentID == "" {
			n++
		}
	}
	return n
}

// Comments returns a file's comments, oldest first, including those posted through the
// API (their User is the token's user).
func (s *Server) Comments(key string) []figma.Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]figma.Comment, 0, len(s.comments[key]))
	for _, cm := range s.comments[key] {
		out = append(out, cm.c)
	}
	return out
}

func (cm *comment) wire() map[string]any {
	c := cm.c
	var resolved, order any
	if c.ResolvedAt != nil {
		resolved = c.ResolvedAt.UTC().Format(time.RFC3339)
	}
	if c.ParentID == "" {
		order = c.OrderID
	}
	return map[string]any{
		"id": c.ID, "file_key": c.FileKey, "parent_id": c.ParentID, "user": toUserJSON(c.User),
		"created_at": c.CreatedAt.UTC().Format(time.RFC3339), "resolved_at": resolved,
		"message": c.Message, "client_meta": cm.meta, "order_id": order,
		"reactions": []any{},
	}
}

// handleComments answers GET /v1/files/:key/comments, newest first like Figma.
func (s *Server) handleComments(w http.ResponseWriter, r *http.Request, _ figma.User) {
	key := r.PathValue("key")
	if _, ok := s.file(key); !ok {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}

	s.mu.Lock()
	list := s.comments[key]
	out := make([]map[string]any, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		out = append(out, list[i].wire())
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"comments": out})
}

type postBody struct {
	Message    *string         `json:"message"`
	CommentID  figma.ID        `json:"comment_id"`
	ClientMeta json.RawMessage `json:"client_meta"`
}

// handlePostComment answers POST /v1/files/:key/comments. Refusals use the error-boolean
// shape, as Figma's comment-post 400s do.
func (s *Server) handlePostComment(w http.ResponseWriter, r *http.Request, u figma.User) {
	f, ok := s.file(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}

	var b postBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeErrBool(w, http.StatusBadRequest, "Request body is not valid JSON")
		return
	}
	if b.Message == nil || strings.TrimSpace(*b.Message) == "" {
		writeErrBool(w, http.StatusBadRequest, "message is required")
		return
	}
	if err := checkClientMeta(b.ClientMeta, f); err != nil {
		writeErrBool(w, http.StatusBadRequest, err.Error())
		return
	}

	c, err := s.postComment(f.Key, u, *b.Message, string(b.CommentID), b.ClientMeta)
	if err != nil {
		writeErrBool(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) postComment(key string, u figma.User, msg, replyTo string,
	meta json.RawMessage) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()

	c := figma.Comment{User: u, Message: msg, NodeID: metaNode(meta)}
	if replyTo != "" {
		root := s.findCommentLocked(key, replyTo)
		switch {
		case root == nil:
			return nil, errors.New("comment_id does not name a comment of this file")
		case root.c.ParentID != "":
			return nil, errors.New("comment_id must be a root comment, not a reply")
		}
		c.ParentID, c.NodeID, meta = root.c.ID, root.c.NodeID, root.meta
	}
	if len(meta) == 0 || string(meta) == "null" {
		meta = json.RawMessage(`{"x":0,"y":0}`)
	}

	return s.addCommentLocked(key, c, meta).wire(), nil
}

func (s *Server) findCommentLocked(key, id string) *comment {
	for _, cm := range s.comments[key] {
		if cm.c.ID == id {
			return cm
		}
	}
	return nil
}

func metaNode(meta json.RawMessage) string {
	var m struct {
		NodeID string `json:"node_id"`
	}
	_ = json.Unmarshal(meta, &m)
	return m.NodeID
}

// clientMeta holds every field of the four client_meta shapes (Vector, FrameOffset,
// Region, FrameOffsetRegion).
type clientMeta struct {
	X          *float64 `json:"x"`
	Y          *float64 `json:"y"`
	NodeID     *string  `json:"node_id"`
	NodeOffset *struct {
		X *float64 `json:"x"`
		Y *float64 `json:"y"`
	} `json:"node_offset"`
	RegionHeight *float64 `json:"region_height"`
	RegionWidth  *float64 `json:"region_width"`
	PinCorner    *string  `json:"comment_pin_corner"`
}

var pinCorners = map[string]bool{
	"top-left": true, "top-right": true, "bottom-left": true, "bottom-right": true,
}

// checkClientMeta validates one of the four client_meta shapes against the file.
func checkClientMeta(raw json.RawMessage, f File) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m clientMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return errors.New("client_meta must be a Vector, FrameOffset, Region or FrameOffsetRegion")
	}

	if err := checkPosition(m, f); err != nil {
		return err
	}
	return checkRegion(m)
}

func checkPosition(m clientMeta, f File) error {
	if m.NodeID == nil {
		if m.X == nil || m.Y == nil {
			return errors.New("client_meta needs x and y, or node_id and node_offset")
		}
		return nil
	}
	if _, ok := f.node(*m.NodeID); !ok {
		return errors.New("client_meta.node_id is not a node of this file")
	}
	if m.NodeOffset == nil || m.NodeOffset.X == nil || m.NodeOffset.Y == nil {
		return errors.New("client_meta.node_offset needs x and y")
	}
	return nil
}

func checkRegion(m clientMeta) error {
	if m.RegionHeight == nil && m.RegionWidth == nil {
		if m.PinCorner != nil {
			return errors.New("comment_pin_corner needs a region")
		}
		return nil
	}
	h, w := m.RegionHeight, m.RegionWidth
	if h == nil || w == nil || *h <= 0 || *w <= 0 {
		return errors.New("region_height and region_width must both be greater than 0")
	}
	if m.PinCorner != nil && !pinCorners[*m.PinCorner] {
		return errors.New("comment_pin_corner must be " +
			"top-left, top-right, bottom-left or bottom-right")
	}
	return nil
}
