package b24

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// ChatMessage is one message of im.dialog.messages.get.
type ChatMessage struct {
	ID       string
	ChatID   string
	AuthorID string // "0" for system messages
	Date     string
	Text     string
	// ReplyID is the message this one replies to (params.REPLY_ID); "" when none. The
	// documented params list of im.dialog.messages.get is thin, so this is read leniently.
	ReplyID string
}

type chatMessageWire struct {
	ID       flexString      `json:"id"`
	ChatID   flexString      `json:"chat_id"`
	AuthorID flexString      `json:"author_id"`
	Date     string          `json:"date"`
	Text     string          `json:"text"`
	Params   json.RawMessage `json:"params"`
}

// replyID reads params.REPLY_ID; params is [] or null on a message without any.
func (w chatMessageWire) replyID() string {
	var p struct {
		ReplyID flexString `json:"REPLY_ID"`
	}
	if json.Unmarshal(w.Params, &p) != nil {
		return ""
	}
	return string(p.ReplyID)
}

// DialogQuery selects messages of a dialog. With neither id set B24 returns the last messages;
// FirstID returns those after it, LastID those before it. Limit 0 means B24's default (20).
type DialogQuery struct {
	FirstID string
	LastID  string
	Limit   int
}

// DialogMessagesGet reads messages of a dialog ("chat<ID>" or a user id).
// https://apidocs.bitrix24.com/api-reference/chats/messages/im-dialog-messages-get.html
func (c *Client) DialogMessagesGet(ctx context.Context, memberID, dialogID string,
	q DialogQuery) ([]ChatMessage, error) {
	params := Ordered{{"DIALOG_ID", dialogID}}
	if q.FirstID != "" {
		params = append(params, KV{"FIRST_ID", q.FirstID})
	}
	if q.LastID != "" {
		params = append(params, KV{"LAST_ID", q.LastID})
	}
	if q.Limit > 0 {
		params = append(params, KV{"LIMIT", q.Limit})
	}

	var res struct {
		Messages []chatMessageWire `json:"messages"`
	}
	if err := c.Call(ctx, memberID, "im.dialog.messages.get", params, &res); err != nil {
		return nil, err
	}

	out := make([]ChatMessage, 0, len(res.Messages))
	for _, w := range res.Messages {
		out = append(out, ChatMessage{ID: string(w.ID), ChatID: string(w.ChatID),
			AuthorID: string(w.AuthorID), Date: w.Date, Text: w.Text, ReplyID: w.replyID()})
	}

	return out, nil
}

// MessageByID reads one message of a dialog: the messages after messageID-1, searched for it.
// A new-card task comment event names only the chat message, so this is how its text is read.
// It wraps ErrNotFound when the message is not there.
func (c *Client) MessageByID(ctx context.Context, memberID, dialogID,
	messageID string) (ChatMessage, error) {
	n, err := strconv.ParseUint(messageID, 10, 64)
	if err != nil || n == 0 {
		return ChatMessage{}, fmt.Errorf("b24: message id %q is not a number", messageID)
	}

	q := DialogQuery{FirstID: strconv.FormatUint(n-1, 10), Limit: 5}
	msgs, err := c.DialogMessagesGet(ctx, memberID, dialogID, q)
	if err != nil {
		return ChatMessage{}, err
	}

	for _, m := range msgs {
		if m.ID == messageID {
			return m, nil
		}
	}

	return ChatMessage{}, fmt.Errorf("b24: message %s in %s: %w", messageID, dialogID, ErrNotFound)
}
