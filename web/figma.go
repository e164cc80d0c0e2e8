package web

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// figmaWebhook verifies a Figma delivery's passcode and enqueues it under its dedup key, so a
// delivery Figma retries produces its effect once. The passcode is dropped before the event is
// stored in the queue.
func (s *Server) figmaWebhook(r *http.Request, body []byte) outcome {
	ev, err := figma.ParseEvent(body)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "not a Figma webhook event")
	}
	fields := logrus.Fields{"webhook_id": ev.WebhookID, "event": ev.Type, "file_key": ev.FileKey}
	want, err := s.passcodeFor(r, ev.WebhookID)
	if err != nil {
		return unavailable()
	}
	if subtle.ConstantTimeCompare([]byte(ev.Passcode), []byte(want)) != 1 || want == "" {
		s.Metrics.PasscodeMismatch.Inc()
		o := refuse(http.StatusBadRequest, "bad_passcode", "passcode mismatch")
		o.fields = fields
		return o
	}
	if ev.Type == "PING" {
		o := accepted("ping")
		o.fields = fields
		return o
	}
	payload, err := withoutPasscode(body)
	if err != nil {
		return refuse(http.StatusBadRequest, "bad_request", "not a JSON object")
	}
	dup, err := s.Jobs.Add(r.Context(), queue.TypeFigmaEvent, json.RawMessage(payload),
		ev.DedupKey())
	if err != nil {
		return unavailable()
	}
	o := accepted("ok")
	if dup {
		o.result = "duplicate"
	}
	o.fields = fields
	return o
}

// passcodeFor is the passcode stored for a hook the bot created, else FIGMA_WEBHOOK_PASSCODE
// (hooks registered with `figbot webhooks register` or by hand).
func (s *Server) passcodeFor(r *http.Request, webhookID string) (string, error) {
	if webhookID != "" {
		w, err := s.Store.Webhook(r.Context(), webhookID)
		if err == nil {
			return w.Passcode, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
	}
	return s.Config.Figma.WebhookPasscode.Value(), nil
}

// withoutPasscode re-encodes the delivery without its passcode, keeping every other field.
func withoutPasscode(body []byte) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	delete(m, "passcode")
	return json.Marshal(m)
}
