package figma

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Comment is a comment or reply on a file.
type Comment struct {
	ID         string
	FileKey    string
	ParentID   string // the root comment's id for a reply; "" for a root comment
	User       User
	CreatedAt  time.Time
	ResolvedAt *time.Time // nil while unresolved
	Message    string
	OrderID    string // the number shown in Figma's UI; root comments only
	NodeID     string // the frame the comment is pinned to, from client_meta.node_id
}

// NewComment is a comment to post.
type NewComment struct {
	Message string
	ReplyTo string       // id of a root comment to reply to (sent as comment_id)
	Pin     *FrameOffset // where to pin a root comment; nil for none
}

// FrameOffset pins a comment to a frame, at an offset from its top-left corner.
type FrameOffset struct {
	NodeID string // the frame, in API ("1:2") or link ("1-2") form
	X, Y   float64
}

type commentWire struct {
	ID         ID              `json:"id"`
	FileKey    string          `json:"file_key"`
	ParentID   ID              `json:"parent_id"`
	User       User            `json:"user"`
	CreatedAt  optTime         `json:"created_at"`
	ResolvedAt optTime         `json:"resolved_at"`
	Message    string          `json:"message"`
	OrderID    ID              `json:"order_id"`
	ClientMeta json.RawMessage `json:"client_meta"`
}

func (w commentWire) comment() Comment {
	return Comment{
		ID:         string(w.ID),
		FileKey:    w.FileKey,
		ParentID:   string(w.ParentID),
		User:       w.User,
		CreatedAt:  w.CreatedAt.t,
		ResolvedAt: w.ResolvedAt.ptr(),
		Message:    w.Message,
		OrderID:    string(w.OrderID),
		NodeID:     clientMetaNode(w.ClientMeta),
	}
}

// clientMetaNode returns client_meta.node_id. client_meta is one of four shapes (Vector,
// FrameOffset, Region, FrameOffsetRegion); only the frame forms carry a node, and a shape
// this package does not know yields "".
func clientMetaNode(raw json.RawMessage) string {
	var m struct {
		NodeID ID `json:"node_id"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return ""
	}
	return string(m.NodeID)
}

// Comments returns the comments on a file, replies included.
//
// Figma docs: https://developers.figma.com/docs/rest-api/comments-endpoints
func (c *Client) Comments(ctx context.Context, key string) ([]Comment, error) {
	if key == "" {
		return nil, fmt.Errorf("figma: comments: %w", ErrNoFileKey)
	}

	var r struct {
		Comments []commentWire `json:"comments"`
	}
	path := "/v1/files/" + escape(key) + "/comments"
	if err := c.call(ctx, Tier2, http.MethodGet, path, nil, nil, &r); err != nil {
		return nil, fmt.Errorf("figma: comments: %w", err)
	}

	out := make([]Comment, 0, len(r.Comments))
	for _, w := range r.Comments {
		out = append(out, w.comment())
	}
	return out, nil
}

type vector struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type postCommentBody struct {
	Message    string `json:"message"`
	CommentID  string `json:"comment_id,omitempty"`
	ClientMeta *struct {
		NodeID     string `json:"node_id"`
		NodeOffset vector `json:"node_offset"`
	} `json:"client_meta,omitempty"`
}

func (n NewComment) body() (postCommentBody, error) {
	if strings.TrimSpace(n.Message) == "" {
		return postCommentBody{}, errors.New("empty message")
	}
	b := postCommentBody{Message: n.Message, CommentID: n.ReplyTo}
	if n.Pin == nil {
		return b, nil
	}

	id, ok := apiNodeID(n.Pin.NodeID)
	if !ok {
		return postCommentBody{}, fmt.Errorf("pin node id %q: %w", n.Pin.NodeID, ErrBadNodeID)
	}
	b.ClientMeta = &struct {
		NodeID     string `json:"node_id"`
		NodeOffset vector `json:"node_offset"`
	}{NodeID: id, NodeOffset: vector{X: n.Pin.X, Y: n.Pin.Y}}
	return b, nil
}

// PostComment posts a comment, or a reply when c.ReplyTo is set (Figma allows replies to
// root comments only), and returns it as Figma stored it.
//
// Figma docs: https://developers.figma.com/docs/rest-api/comments-endpoints
func (c *Client) PostComment(ctx context.Context, key string, nc NewComment) (Comment, error) {
	if key == "" {
		return Comment{}, fmt.Errorf("figma: post comment: %w", ErrNoFileKey)
	}
	body, err := nc.body()
	if err != nil {
		return Comment{}, fmt.Errorf("figma: post comment: %w", err)
	}

	var w commentWire
	path := "/v1/files/" + escape(key) + "/comments"
	if err := c.call(ctx, Tier2, http.MethodPost, path, nil, body, &w); err != nil {
		return Comment{}, fmt.Errorf("figma: post comment: %w", err)
	}
	return w.comment(), nil
}
