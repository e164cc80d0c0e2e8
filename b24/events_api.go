package b24

import (
	"context"
	"encoding/json"
)

// EventBinding is an event handler of the app.
type EventBinding struct {
	Event    string
	Handler  string
	AuthType string // user id whose token the event carries; "0" = the acting user
	Offline  bool
}

type eventBindingWire struct {
	Event    string     `json:"event"`
	Handler  string     `json:"handler"`
	AuthType flexString `json:"auth_type"`
	Offline  flexBool   `json:"offline"`
}

// EventBind subscribes handler to event. Binding a pair bound already is an error matching
// ErrAlreadyExists ("Handler already binded"). Bindings vanish when the app is updated, so the
// installer binds again each time.
// https://apidocs.bitrix24.com/api-reference/events/event-bind.html
func (c *Client) EventBind(ctx context.Context, memberID, event, handler string) error {
	params := Ordered{{"event", event}, {"handler", handler}}
	return c.Call(ctx, memberID, "event.bind", params, nil)
}

// EventGet lists the app's event handlers.
// https://apidocs.bitrix24.com/api-reference/events/event-get.html
func (c *Client) EventGet(ctx context.Context, memberID string) ([]EventBinding, error) {
	var ws []eventBindingWire
	if err := c.Call(ctx, memberID, "event.get", nil, &ws); err != nil {
		return nil, err
	}

	out := make([]EventBinding, 0, len(ws))
	for _, w := range ws {
		out = append(out, EventBinding{Event: w.Event, Handler: w.Handler,
			AuthType: string(w.AuthType), Offline: bool(w.Offline)})
	}

	return out, nil
}

// PlacementBinding is a widget of the app.
type PlacementBinding struct {
	Placement   string // e.g. TASK_VIEW_TAB
	Handler     string
	Title       string
	Description string
	Options     map[string]string // e.g. {"groupId": "11,12"}
}

type placementWire struct {
	Placement   string          `json:"placement"`
	Handler     string          `json:"handler"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Options     json.RawMessage `json:"options"`
}

// PlacementBind registers a widget (administrator, app context only). Binding a handler bound
// already is an error matching ErrAlreadyExists.
// https://apidocs.bitrix24.com/api-reference/widgets/placement-bind.html
func (c *Client) PlacementBind(ctx context.Context, memberID string, p PlacementBinding) error {
	params := Ordered{{"PLACEMENT", p.Placement}, {"HANDLER", p.Handler}}
	if p.Title != "" {
		params = append(params, KV{"TITLE", p.Title})
	}
	if p.Description != "" {
		params = append(params, KV{"DESCRIPTION", p.Description})
	}
	if len(p.Options) > 0 {
		params = append(params, KV{"OPTIONS", p.Options})
	}

	return c.Call(ctx, memberID, "placement.bind", params, nil)
}

// PlacementGet lists the app's widgets.
// https://apidocs.bitrix24.com/api-reference/widgets/placement-get.html
func (c *Client) PlacementGet(ctx context.Context, memberID string) ([]PlacementBinding, error) {
	var ws []placementWire
	if err := c.Call(ctx, memberID, "placement.get", nil, &ws); err != nil {
		return nil, err
	}

	out := make([]PlacementBinding, 0, len(ws))
	for _, w := range ws {
		out = append(out, PlacementBinding{Placement: w.Placement, Handler: w.Handler,
			Title: w.Title, Description: w.Description, Options: stringMap(w.Options)})
	}

	return out, nil
}

// stringMap reads an object of scalars; PHP sends an empty one as [], which gives nil.
func stringMap(raw json.RawMessage) map[string]string {
	items, err := keyedRaw(raw)
	if err != nil || len(items) == 0 {
		return nil
	}

	out := make(map[string]string, len(items))
	for k, v := range items {
		if s, ok := scalar(v); ok {
			out[k] = s
		}
	}

	return out
}

// AppInfo is the app's state on the portal.
type AppInfo struct {
	ID        string
	Code      string
	Version   string
	Status    string // L local, F free, D demo, T trial, P paid
	Installed bool   // false until the install finished: no events or widgets before
}

type appInfoWire struct {
	ID        flexString `json:"ID"`
	Code      string     `json:"CODE"`
	Version   flexString `json:"VERSION"`
	Status    string     `json:"STATUS"`
	Installed flexBool   `json:"INSTALLED"`
}

// AppInfo reads the app's state; it also proves that a token works.
// https://apidocs.bitrix24.com/api-reference/common/system/app-info.html
func (c *Client) AppInfo(ctx context.Context, memberID string) (AppInfo, error) {
	var w appInfoWire
	if err := c.Call(ctx, memberID, "app.info", nil, &w); err != nil {
		return AppInfo{}, err
	}

	return AppInfo{ID: string(w.ID), Code: w.Code, Version: string(w.Version),
		Status: w.Status, Installed: bool(w.Installed)}, nil
}
