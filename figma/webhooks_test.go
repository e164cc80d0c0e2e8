package figma

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const hookJSON = `{"id":"22","event_type":"FILE_COMMENT","team_id":"","context":"FILE",
	"context_id":"K","plan_api_id":"team-1","status":"ACTIVE","client_id":null,"passcode":"",
	"endpoint":"https://bot.example/figma/webhook","description":null}`

var hook22 = Webhook{ID: "22", EventType: "FILE_COMMENT", Context: "file", ContextID: "K",
	Status: "ACTIVE", Endpoint: "https://bot.example/figma/webhook", PlanAPIID: "team-1"}

func TestWebhooks(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v2/webhooks", 200, `{"webhooks":[`+hookJSON+`,
		{"id":23,"event_type":"FILE_UPDATE","team_id":456,"context":"TEAM","context_id":456,
		 "plan_api_id":"team-456","status":"PAUSED","endpoint":"https://e","description":"d"}]}`)

	got, err := c.Webhooks(t.Context(), WebhookContext{Kind: "FILE", ID: "K"})
	if err != nil {
		t.Fatal(err)
	}

	want := []Webhook{hook22, {ID: "23", EventType: "FILE_UPDATE", Context: "team",
		ContextID: "456", Status: "PAUSED", Endpoint: "https://e", Description: "d",
		TeamID: "456", PlanAPIID: "team-456"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Webhooks (-want +got):\n%s", diff)
	}
	q, _ := url.ParseQuery(api.requests()[0].Query)
	if diff := cmp.Diff(url.Values{"context": {"file"}, "context_id": {"K"}}, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestWebhookGetAndDelete(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v2/webhooks/22", 200, hookJSON)
	api.reply("DELETE /v2/webhooks/22", 200, hookJSON)
	api.reply("DELETE /v2/webhooks/404", 404,
		`{"error":true,"status":404,"message":"Webhook not found"}`)

	got, err := c.Webhook(t.Context(), "22")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hook22, got); diff != "" {
		t.Errorf("Webhook (-want +got):\n%s", diff)
	}

	if err := c.DeleteWebhook(t.Context(), "22"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteWebhook(t.Context(), "404"); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeleteWebhook(404) = %v, want ErrNotFound", err)
	}

	var calls []string
	for _, r := range api.requests() {
		calls = append(calls, r.Method+" "+r.Path)
	}
	want := []string{"GET /v2/webhooks/22", "DELETE /v2/webhooks/22", "DELETE /v2/webhooks/404"}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
}

func TestCreateWebhook(t *testing.T) {
	c, api := setup(t)
	api.reply("POST /v2/webhooks", 200, hookJSON)

	got, err := c.CreateWebhook(t.Context(), NewWebhook{
		EventType: EventFileComment, Context: "File", ContextID: "K",
		Endpoint: "https://bot.example/figma/webhook", Passcode: "pass-123",
		Status: StatusPaused, Description: "figbot",
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(hook22, got); diff != "" {
		t.Errorf("CreateWebhook (-want +got):\n%s", diff)
	}

	var body map[string]any
	if err := json.Unmarshal([]byte(api.requests()[0].Body), &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"event_type": "FILE_COMMENT", "context": "file", "context_id": "K",
		"endpoint": "https://bot.example/figma/webhook", "passcode": "pass-123",
		"status": "PAUSED", "description": "figbot"}
	if diff := cmp.Diff(want, body); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestCreateWebhookRefusals(t *testing.T) {
	const pass = "hunter2-passcode"
	ok := NewWebhook{EventType: EventFileUpdate, Context: "file", ContextID: "K",
		Endpoint: "https://bot.example/h", Passcode: pass}
	tests := []struct {
		name   string
		change func(*NewWebhook)
	}{
		{"no event", func(n *NewWebhook) { n.EventType = "" }},
		{"bad context", func(n *NewWebhook) { n.Context = "org" }},
		{"no context id", func(n *NewWebhook) { n.ContextID = "" }},
		{"no endpoint", func(n *NewWebhook) { n.Endpoint = "" }},
		{"long endpoint", func(n *NewWebhook) {
			n.Endpoint = "https://e/" + strings.Repeat("a", 2048)
		}},
		{"no passcode", func(n *NewWebhook) { n.Passcode = "" }},
		{"long passcode", func(n *NewWebhook) { n.Passcode = strings.Repeat(pass, 10) }},
		{"long description", func(n *NewWebhook) { n.Description = strings.Repeat("d", 151) }},
		{"bad status", func(n *NewWebhook) { n.Status = "ERROR" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			nw := ok
			tt.change(&nw)

			_, err := c.CreateWebhook(t.Context(), nw)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q leaks the passcode", err)
			}
			if n := len(api.requests()); n != 0 {
				t.Errorf("%d calls for an invalid webhook", n)
			}
		})
	}
}

func TestWebhookErrorsHidePasscode(t *testing.T) {
	c, api := setup(t)
	api.reply("POST /v2/webhooks", 400,
		`{"error":true,"status":400,"message":"Maximum number of webhooks reached"}`)

	_, err := c.CreateWebhook(t.Context(), NewWebhook{EventType: EventFileUpdate,
		Context: "file", ContextID: "K", Endpoint: "https://e", Passcode: "hunter2-passcode"})
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("CreateWebhook() = %v, want ErrBadRequest", err)
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error %q leaks the passcode", err)
	}
}

func TestWebhookRequests(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v2/webhooks/22/requests", 200, `{"requests":[
		{"webhook_id":"22","request_info":{"id":"r1","endpoint":"https://e",
		 "payload":{"event_type":"PING"},"sent_at":"2025-01-02T03:04:05Z"},
		 "response_info":{"status":"200","received_at":"2025-01-02T03:04:06Z"},"error_msg":null},
		{"webhook_id":22,"request_info":{"id":"r2","endpoint":"https://e","payload":{},
		 "sent_at":"2025-01-02T03:05:05Z"},"response_info":null,"error_msg":"timeout"}]}`)

	got, err := c.WebhookRequests(t.Context(), "22")
	if err != nil {
		t.Fatal(err)
	}

	recv := time.Date(2025, 1, 2, 3, 4, 6, 0, time.UTC)
	want := []WebhookRequest{
		{WebhookID: "22", RequestID: "r1", Endpoint: "https://e",
			Payload: json.RawMessage(`{"event_type":"PING"}`),
			SentAt:  time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), ResponseStatus: 200,
			ReceivedAt: &recv},
		{WebhookID: "22", RequestID: "r2", Endpoint: "https://e", Payload: json.RawMessage(`{}`),
			SentAt: time.Date(2025, 1, 2, 3, 5, 5, 0, time.UTC), Error: "timeout"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("WebhookRequests (-want +got):\n%s", diff)
	}
}
