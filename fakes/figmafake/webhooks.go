package figmafake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/figma"
)

// Webhook limits per context (docs /rest-api/webhooks).
var hookLimits = map[string]int{
	figma.ContextFile: 3, figma.ContextProject: 5, figma.ContextTeam: 20,
}

var subscribable = map[string]bool{
	figma.EventFileUpdate: true, figma.EventFileVersionUpdate: true, figma.EventFileDelete: true,
	figma.EventLibraryPublish: true, figma.EventFileComment: true,
	figma.EventDevModeStatusUpdate: true,
}

const (
	maxEndpoint    = 2048
	maxPasscode    = 100
	maxDescription = 150
	maxHookReqs    = 100 // deliveries kept per webhook
)

type hook struct {
	w        figma.Webhook // Context in lower case
	passcode string
	requests []delivery
}

// delivery is one POST the fake made to a webhook endpoint.
type delivery struct {
	id         string
	endpoint   string
	payload    json.RawMessage
	sentAt     time.Time
	status     int // 0 when the endpoint never answered
	receivedAt time.Time
	errMsg     string
}

// Webhooks returns every webhook, oldest first, with contexts in lower case.
func (s *Server) Webhooks() []figma.Webhook {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]figma.Webhook, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.hooks[id].w)
	}
	return out
}

// wire is the WebhookV2 object; the passcode shows only in the answer to its creation.
func (h *hook) wire(withPasscode bool) map[string]any {
	var desc any
	if h.w.Description != "" {
		desc = h.w.Description
	}
	pass := ""
	if withPasscode {
		pass = h.passcode
	}
	return map[string]any{
		"id": h.w.ID, "event_type": h.w.EventType, "team_id": h.w.TeamID,
		"context": strings.ToUpper(h.w.Context), "context_id": h.w.ContextID,
		"plan_api_id": h.w.PlanAPIID, "status": h.w.Status, "client_id": nil,
		"passcode": pass, "endpoint": h.w.Endpoint, "description": desc,
	}
}

type createBody struct {
	EventType   string   `json:"event_type"`
	TeamID      figma.ID `json:"team_id"`
	Context     string   `json:"context"`
	ContextID   figma.ID `json:"context_id"`
	Endpoint    string   `json:"endpoint"`
	Passcode    *string  `json:"passcode"`
	Status      string   `json:"status"`
	Description string   `json:"description"`
}

// handleCreateHook answers POST /v2/webhooks. The deprecated team_id alone still means a
// team context.
func (s *Server) handleCreateHook(w http.ResponseWriter, r *http.Request, _ figma.User) {
	var b createBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeErrBool(w, http.StatusBadRequest, "Request body is not valid JSON")
		return
	}
	if b.Context == "" && b.TeamID != "" {
		b.Context, b.ContextID = figma.ContextTeam, b.TeamID
	}
	b.Context = strings.ToLower(b.Context)
	if b.Status == "" {
		b.Status = figma.StatusActive
	}

	if msg := b.problem(); msg != "" {
		writeErrBool(w, http.StatusBadRequest, msg)
		return
	}
	if _, ok := s.file(string(b.ContextID)); b.Context == figma.ContextFile && !ok {
		writeErrBool(w, http.StatusNotFound, "File not found")
		return
	}

	h, msg := s.addHook(b)
	if msg != "" {
		writeErrBool(w, http.StatusBadRequest, msg)
		return
	}
	writeJSON(w, http.StatusOK, h.wire(true))
	s.maybePing(h.w)
}

// problem describes what is wrong with a create request, or returns "".
func (b createBody) problem() string {
	switch {
	case b.EventType == figma.EventPing:
		return "PING cannot be subscribed to"
	case !subscribable[b.EventType]:
		return "event_type is missing or not a webhook event"
	case hookLimits[b.Context] == 0:
		return `context must be "team", "project" or "file"`
	case b.ContextID == "":
		return "context_id is required"
	case !validEndpoint(b.Endpoint):
		return "endpoint must be an http(s) URL of at most 2048 characters"
	case b.Passcode == nil || *b.Passcode == "" || len(*b.Passcode) > maxPasscode:
		return "passcode is required and may have at most 100 characters"
	case len(b.Description) > maxDescription:
		return "description may have at most 150 characters"
	case b.Status != figma.StatusActive && b.Status != figma.StatusPaused:
		return "status must be ACTIVE or PAUSED"
	}
	return ""
}

func validEndpoint(s string) bool {
	if s == "" || len(s) > maxEndpoint {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// addHook stores a webhook unless its context is full; msg says why it was refused.
func (s *Server) addHook(b createBody) (*hook, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hooks {
		if h.w.Context == b.Context && h.w.ContextID == string(b.ContextID) {
			n++
		}
	}
	if limit := hookLimits[b.Context]; n >= limit {
		return nil, "Webhook limit reached: at most " + strconv.Itoa(limit) + " per " + b.Context
	}

	h := &hook{passcode: *b.Passcode, w: figma.Webhook{
		ID: s.nextIDLocked(), EventType: b.EventType, Context: b.Context,
		ContextID: string(b.ContextID), Status: b.Status, Endpoint: b.Endpoint,
		Description: b.Description, PlanAPIID: "team-1",
	}}
	if b.Context == figma.ContextTeam {
		h.w.TeamID, h.w.PlanAPIID = h.w.ContextID, "team-"+h.w.ContextID
	}
	s.hooks[h.w.ID] = h
	s.order = append(s.order, h.w.ID)
	return h, ""
}

// handleListHooks answers GET /v2/webhooks by context, or every webhook by plan_api_id.
func (s *Server) handleListHooks(w http.ResponseWriter, r *http.Request, _ figma.User) {
	q := r.URL.Query()
	kind, id, plan := strings.ToLower(q.Get("context")), q.Get("context_id"), q.Get("plan_api_id")
	switch {
	case plan != "" && (kind != "" || id != ""):
		writeErrBool(w, http.StatusBadRequest, "plan_api_id cannot be used with context")
		return
	case plan == "" && (hookLimits[kind] == 0 || id == ""):
		writeErrBool(w, http.StatusBadRequest,
			"context and context_id, or plan_api_id, are required")
		return
	}

	s.mu.Lock()
	out := []map[string]any{}
	for _, hid := range s.order {
		h := s.hooks[hid]
		if plan != "" || (h.w.Context == kind && h.w.ContextID == id) {
			out = append(out, h.wire(false))
		}
	}
	s.mu.Unlock()

	body := map[string]any{"webhooks": out}
	if plan != "" {
		body["pagination"] = map[string]any{}
	}
	writeJSON(w, http.StatusOK, body)
}

// hookByPath returns the webhook named in the path, answering 404 when there is none.
func (s *Server) hookByPath(w http.ResponseWriter, r *http.Request) (*hook, bool) {
	s.mu.Lock()
	h, ok := s.hooks[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeErrBool(w, http.StatusNotFound, "Not found")
	}
	return h, ok
}

func (s *Server) handleGetHook(w http.ResponseWriter, r *http.Request, _ figma.User) {
	if h, ok := s.hookByPath(w, r); ok {
		s.mu.Lock()
		body := h.wire(false)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
	}
}

// handleDeleteHook deletes a webhook and answers with it, as Figma does.
func (s *Server) handleDeleteHook(w http.ResponseWriter, r *http.Request, _ figma.User) {
	h, ok := s.hookByPath(w, r)
	if !ok {
		return
	}

	s.mu.Lock()
	delete(s.hooks, h.w.ID)
	for i, id := range s.order {
		if id == h.w.ID {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	body := h.wire(false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, body)
}

// handleHookRequests answers GET /v2/webhooks/:id/requests with the deliveries made.
func (s *Server) handleHookRequests(w http.ResponseWriter, r *http.Request, _ figma.User) {
	h, ok := s.hookByPath(w, r)
	if !ok {
		return
	}

	s.mu.Lock()
	out := make([]map[string]any, 0, len(h.requests))
	for _, d := range h.requests {
		out = append(out, d.wire(h.w.ID))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (d delivery) wire(hookID string) map[string]any {
	var resp, errMsg any
	if d.status != 0 {
		resp = map[string]any{
			"status":      strconv.Itoa(d.status),
			"received_at": d.receivedAt.UTC().Format(time.RFC3339),
		}
	}
	if d.errMsg != "" {
		errMsg = d.errMsg
	}
	return map[string]any{
		"webhook_id": hookID,
		"request_info": map[string]any{
			"id": d.id, "endpoint": d.endpoint, "payload": d.payload,
			"sent_at": d.sentAt.UTC().Format(time.RFC3339),
		},
		"response_info": resp,
		"error_msg":     errMsg,
	}
}
