package figma

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// User is a Figma user as the API and webhook payloads describe one. Email is set only
// by /v1/me and some webhook payloads.
type User struct {
	ID     string `json:"id"`
	Handle string `json:"handle"`
	Email  string `json:"email,omitempty"`
	ImgURL string `json:"img_url,omitempty"`
}

// UnmarshalJSON decodes a user whose id may be a string or a number.
func (u *User) UnmarshalJSON(b []byte) error {
	var w struct {
		ID     ID     `json:"id"`
		Handle string `json:"handle"`
		Email  string `json:"email"`
		ImgURL string `json:"img_url"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*u = User{ID: string(w.ID), Handle: w.Handle, Email: w.Email, ImgURL: w.ImgURL}
	return nil
}

// Me returns the user the client's token acts for.
//
// Figma docs: https://developers.figma.com/docs/rest-api/users-endpoints
func (c *Client) Me(ctx context.Context) (User, error) {
	var u User
	if err := c.call(ctx, Tier3, http.MethodGet, "/v1/me", nil, nil, &u); err != nil {
		return User{}, fmt.Errorf("figma: me: %w", err)
	}
	return u, nil
}
