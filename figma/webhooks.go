package figma

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Webhook event types (spec WebhookV2Event). PING cannot be subscribed to: every new
// active webhook receives one.
const (
	EventPing                = "PING"
	EventFileUpdate          = "FILE_UPDATE"
	EventFileVersionUpdate   = "FILE_VERSION_UPDATE"
	EventFileDelete          = "FILE_DELETE"
	EventLibraryPublish      = "LIBRARY_PUBLISH"
	EventFileComment         = "FILE_COMMENT"
	EventDevModeStatusUpdate = "DEV_MODE_STATUS_UPDATE"
)

// Webhook contexts, as this package writes them (Figma answers in upper case).
const (
	ContextTeam    = "team"
	ContextProject = "project"
	ContextFile    = "file"
)

// Webhook states.
const (
	StatusActive = "ACTIVE"
	StatusPaused = "PAUSED"
)

// Limits of POST /v2/webhooks (docs /rest-api/webhooks-endpoints).
const (
	maxEndpointLen    = 2048
	maxPasscodeLen    = 100
	maxDescriptionLen = 150
)

// Webhook is a Figma webhook (v2).
type Webhook struct {
	ID          string
	EventType   string
	Context     string // "team", "project" or "file", lower case
	ContextID   string // team id, project id or file key
	Status      string // ACTIVE or PAUSED
	Endpoint    string
	Description string
	TeamID      string // deprecated by Figma; "" for file and project webhooks
	PlanAPIID   string // "team-<id>" or "organization-<id>"
}

// WebhookContext names what webhooks are attached to.
type WebhookContext struct {
	Kind string // "team", "project" or "file"
	ID   string // team id, project id or file key
}

// NewWebhook is a webhook to create. Passcode comes back in every delivery and is the
// only way to verify one; Figma never shows it again, so keep it.
type NewWebhook struct {
	EventType   string
	Context     string // "team", "project" or "file"
	ContextID   string
	Endpoint    string // at most 2048 characters
	Passcode    string // at most 100 characters
	Status      string // ACTIVE (default; sends a PING) or PAUSED
	Description string // at most 150 characters
}

// WebhookRequest is one delivery Figma made to a webhook in the last 7 days.
type WebhookRequest struct {
	WebhookID string
	RequestID string
	Endpoint  string
	// Payload is the body as sent, passcode included: never log it.
	Payload        json.RawMessage
	SentAt         time.Time
	ResponseStatus int        // 0 when the endpoint never answered
	ReceivedAt     *time.Time // nil when the endpoint never answered
	Error          string     // Figma's error_msg; "" when none
}

type webhookWire struct {
	ID          ID      `json:"id"`
	EventType   string  `json:"event_type"`
	TeamID      ID      `json:"team_id"`
	Context     string  `json:"context"`
	ContextID   ID      `json:"context_id"`
	PlanAPIID   string  `json:"plan_api_id"`
	Status      string  `json:"status"`
	Endpoint    string  `json:"endpoint"`
	Description *string `json:"description"`
}

func (w webhookWire) webhook() Webhook {
	h := Webhook{
		ID:        string(w.ID),
		EventType: w.EventType,
		Context:   strings.ToLower(w.Context),
		ContextID: string(w.ContextID),
		Status:    w.Status,
		Endpoint:  w.Endpoint,
		TeamID:    string(w.TeamID),
		PlanAPIID: w.PlanAPIID,
	}
	if w.Description != nil {
		h.Description = *w.Description
	}
	return h
}

func checkContext(kind, id string) (string, error) {
	kind = strings.ToLower(kind)
	if kind != ContextTeam && kind != ContextProject && kind != ContextFile {
		return "", fmt.Errorf("context %q is not team, project or file", kind)
	}
	if id == "" {
		return "", errors.New("empty context id")
	}
	return kind, nil
}

// Webhooks lists the webhooks attached to a team, project or file.
//
// Figma docs: https://developers.figma.com/docs/rest-api/webhooks-endpoints
func (c *Client) Webhooks(ctx context.Context, wc WebhookContext) ([]Webhook, error) {
	kind, err := checkContext(wc.Kind, wc.ID)
	if err != nil {
		return nil, fmt.Errorf("figma: webhooks: %w", err)
	}

	var r struct {
		Webhooks []webhookWire `json:"webhooks"`
	}
	q := url.Values{"context": {kind}, "context_id": {wc.ID}}
	if err := c.call(ctx, Tier2, http.MethodGet, "/v2/webhooks", q, nil, &r); err != nil {
		return nil, fmt.Errorf("figma: webhooks: %w", err)
	}

	out := make([]Webhook, 0, len(r.Webhooks))
	for _, w := range r.Webhooks {
		out = append(out, w.webhook())
	}
	return out, nil
}

// Webhook returns one webhook.
//
// Figma docs: https://developers.figma.com/docs/rest-api/webhooks-endpoints
func (c *Client) Webhook(ctx context.Context, id string) (Webhook, error) {
	if id == "" {
		return Webhook{}, errors.New("figma: webhook: empty id")
	}

	var w webhookWire
	path := "/v2/webhooks/" + escape(id)
	if err := c.call(ctx, Tier2, http.MethodGet, path, nil, nil, &w); err != nil {
		return Webhook{}, fmt.Errorf("figma: webhook %s: %w", id, err)
	}
	return w.webhook(), nil
}

type createWebhookBody struct {
	EventType   string `json:"event_type"`
	Context     string `json:"context"`
	ContextID   string `json:"context_id"`
	Endpoint    string `json:"endpoint"`
	Passcode    string `json:"passcode"`
	Status      string `json:"status,omitempty"`
	Description string `json:"description,omitempty"`
}

// body validates nw and builds the request. Errors never repeat the passcode.
func (nw NewWebhook) body() (createWebhookBody, error) {
	kind, err := checkContext(nw.Context, nw.ContextID)
	switch {
	case err != nil:
		return createWebhookBody{}, err
	case nw.EventType == "":
		return createWebhookBody{}, errors.New("empty event type")
	case nw.Endpoint == "" || len(nw.Endpoint) > maxEndpointLen:
		return createWebhookBody{}, errors.New("endpoint must have 1 to 2048 characters")
	case nw.Passcode == "" || len(nw.Passcode) > maxPasscodeLen:
		return createWebhookBody{}, errors.New("passcode must have 1 to 100 characters")
	case len(nw.Description) > maxDescriptionLen:
		return createWebhookBody{}, errors.New("description is over 150 characters")
	case nw.Status != "" && nw.Status != StatusActive && nw.Status != StatusPaused:
		return createWebhookBody{}, fmt.Errorf("status %q is not ACTIVE or PAUSED", nw.Status)
	}

	return createWebhookBody{
		EventType: nw.EventType, Context: kind, ContextID: nw.ContextID,
		Endpoint: nw.Endpoint, Passcode: nw.Passcode, Status: nw.Status,
		Description: nw.Description,
	}, nil
}

// CreateWebhook creates a webhook on a team, project or file. It sends context and
// context_id, never the deprecated team_id. An ACTIVE webhook gets a PING at once.
//
// Figma docs: https://developers.figma.com/docs/rest-api/webhooks-endpoints
func (c *Client) CreateWebhook(ctx context.Context, nw NewWebhook) (Webhook, error) {
	body, err := nw.body()
	if err != nil {
		return Webhook{}, fmt.Errorf("figma: create webhook: %w", err)
	}

	var w webhookWire
	if err := c.call(ctx, Tier2, http.MethodPost, "/v2/webhooks", nil, body, &w); err != nil {
		return Webhook{}, fmt.Errorf("figma: create webhook: %w", err)
	}
	return w.webhook(), nil
}

// DeleteWebhook deletes a webhook; Figma cannot undo this.
//
// Figma docs: https://developers.figma.com/docs/rest-api/webhooks-endpoints
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("figma: delete webhook: empty id")
	}

	path := "/v2/webhooks/" + escape(id)
	if err := c.call(ctx, Tier2, http.MethodDelete, path, nil, nil, nil); err != nil {
		return fmt.Errorf("figma: delete webhook %s: %w", id, err)
	}
	return nil
}

type webhookRequestWire struct {
	WebhookID   ID `json:"webhook_id"`
	RequestInfo struct {
		ID       ID              `json:"id"`
		Endpoint string          `json:"endpoint"`
		Payload  json.RawMessage `json:"payload"`
		SentAt   optTime         `json:"sent_at"`
	} `json:"request_info"`
	ResponseInfo *struct {
		Status     ID      `json:"status"`
		ReceivedAt optTime `json:"received_at"`
	} `json:"response_info"`
	ErrorMsg *string `json:"error_msg"`
}

func (w webhookRequestWire) request() WebhookRequest {
	r := WebhookRequest{
		WebhookID: string(w.WebhookID),
		RequestID: string(w.RequestInfo.ID),
		Endpoint:  w.RequestInfo.Endpoint,
		Payload:   w.RequestInfo.Payload,
		SentAt:    w.RequestInfo.SentAt.t,
	}
	if ri := w.ResponseInfo; ri != nil {
		r.ResponseStatus, _ = strconv.Atoi(string(ri.Status))
		r.ReceivedAt = ri.ReceivedAt.ptr()
	}
	if w.ErrorMsg != nil {
		r.Error = *w.ErrorMsg
	}
	return r
}

// WebhookRequests returns the deliveries of the last 7 days to a webhook, for debugging.
//
// Figma docs: https://developers.figma.com/docs/rest-api/webhooks-endpoints
func (c *Client) WebhookRequests(ctx context.Context, id string) ([]WebhookRequest, error) {
	if id == "" {
		return nil, errors.New("figma: webhook requests: empty id")
	}

	var r struct {
		Requests []webhookRequestWire `json:"requests"`
	}
	path := "/v2/webhooks/" + escape(id) + "/requests"
	if err := c.call(ctx, Tier2, http.MethodGet, path, nil, nil, &r); err != nil {
		return nil, fmt.Errorf("figma: webhook requests %s: %w", id, err)
	}

	out := make([]WebhookRequest, 0, len(r.Requests))
	for _, w := range r.Requests {
		out = append(out, w.request())
	}
	return out, nil
}
