package b24

import (
	"bytes"
	"context"
	"encoding/json"
)

// BlogPost is a feed post for log.blogpost.add.
type BlogPost struct {
	Title   string
	Message string   // required; BB codes allowed
	Dest    []string // recipients: "U<id>", "SG<id>", "DR<id>", "UA" (all, the default)
	UserID  string   // author; admins only, "" = the token's user
}

type blogPostWire struct {
	Title   string   `json:"POST_TITLE,omitempty"`
	Message string   `json:"POST_MESSAGE"`
	Dest    []string `json:"DEST,omitempty"`
	UserID  string   `json:"USER_ID,omitempty"`
}

// BlogPostAdd posts to the feed and returns the post id ("" when B24 answers only true).
// https://apidocs.bitrix24.com/api-reference/log/log-blogpost-add.html
func (c *Client) BlogPostAdd(ctx context.Context, memberID string, p BlogPost) (string, error) {
	w := blogPostWire(p)
	var raw json.RawMessage
	if err := c.Call(ctx, memberID, "log.blogpost.add", w, &raw); err != nil {
		return "", err
	}

	if bytes.Equal(bytes.TrimSpace(raw), []byte("true")) {
		return "", nil
	}

	id, _ := scalar(raw)
	return id, nil
}

// Notification is a system notice to one user for im.notify.system.add.
type Notification struct {
	UserID     string // required
	Message    string // required; BB codes allowed
	MessageOut string // text for e-mail and push
	Tag        string // a later notice with the same tag replaces this one
	SubTag     string
	Attach     any
}

type notificationWire struct {
	UserID     string `json:"USER_ID"`
	Message    string `json:"MESSAGE"`
	MessageOut string `json:"MESSAGE_OUT,omitempty"`
	Tag        string `json:"TAG,omitempty"`
	SubTag     string `json:"SUB_TAG,omitempty"`
	Attach     any    `json:"ATTACH,omitempty"`
}

// NotifySystemAdd sends a system notice and returns its id. It refuses session auth
// (WRONG_AUTH_TYPE); the app's OAuth token works.
// https://apidocs.bitrix24.com/api-reference/chats/notifications/im-notify-system-add.html
func (c *Client) NotifySystemAdd(ctx context.Context, memberID string,
	n Notification) (string, error) {
	w := notificationWire(n)

	var id flexString
	err := c.Call(ctx, memberID, "im.notify.system.add", w, &id)
	return string(id), err
}
