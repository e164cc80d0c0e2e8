package figmafake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/figbot/figbot/figma"
)

const (
	deliveryTimeout = 10 * time.Second // what a third party reports Figma waits
	maxReplyBody    = 1 << 20
)

// Deliver POSTs a webhook event to the endpoint of webhook webhookID, as Figma does, and
// returns the endpoint's answer with its body read into memory. Fields missing from
// payload are filled in: event_type (the hook's), passcode, webhook_id, timestamp (now),
// and for file webhooks file_key and file_name (except on PING). Fields present are kept,
// so a test can send a wrong passcode. Only loopback endpoints are called; any other is an
// error, recorded like a failed delivery. A PAUSED webhook receives nothing.
func (s *Server) Deliver(ctx context.Context, webhookID string,
	payload map[string]any) (*http.Response, error) {
	h, err := s.hookForDelivery(webhookID)
	if err != nil {
		return nil, err
	}

	body, err := json.Marshal(s.fill(h, payload))
	if err != nil {
		return nil, fmt.Errorf("figmafake: deliver to webhook %s: %w", webhookID, err)
	}

	d := delivery{endpoint: h.w.Endpoint, payload: body, sentAt: s.now()}
	resp, err := s.post(ctx, h.w.Endpoint, body)
	if err != nil {
		d.errMsg = err.Error()
	} else {
		d.status, d.receivedAt = resp.StatusCode, s.now()
	}
	s.addDelivery(webhookID, d)

	if err != nil {
		return nil, fmt.Errorf("figmafake: deliver to webhook %s: %w", webhookID, err)
	}
	return resp, nil
}

// hookForDelivery returns a copy of an active webhook.
func (s *Server) hookForDelivery(id string) (hook, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[id]
	switch {
	case !ok:
		return hook{}, fmt.Errorf("figmafake: no webhook %q", id)
	case h.w.Status != figma.StatusActive:
		return hook{}, fmt.Errorf("figmafake: webhook %s is %s", id, h.w.Status)
	}
	return hook{w: h.w, passcode: h.passcode}, nil
}

// fill adds the fields Figma always sends to a copy of payload.
func (s *Server) fill(h hook, payload map[string]any) map[string]any {
	p := maps.Clone(payload)
	if p == nil {
		p = map[string]any{}
	}
	setDefault(p, "event_type", h.w.EventType)
	setDefault(p, "passcode", h.passcode)
	setDefault(p, "webhook_id", h.w.ID)
	setDefault(p, "timestamp", s.now().UTC().Format(time.RFC3339))

	if h.w.Context == figma.ContextFile && p["event_type"] != figma.EventPing {
		setDefault(p, "file_key", h.w.ContextID)
		if f, ok := s.file(h.w.ContextID); ok {
			setDefault(p, "file_name", f.Name)
		}
	}
	return p
}

func setDefault(p map[string]any, key string, v any) {
	if _, ok := p[key]; !ok {
		p[key] = v
	}
}

// post sends one delivery; only loopback hosts are allowed, so the fake never reaches out.
func (s *Server) post(ctx context.Context, endpoint string, body []byte) (*http.Response, error) {
	if err := checkLoopback(endpoint); err != nil {
		return nil, err
	}

	ctx, cancel := context.WithTimeout(ctx, deliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := s.transport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReplyBody))
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(reply))
	return resp, nil
}

func checkLoopback(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return errors.New("endpoint is not a URL")
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("endpoint host %q is not loopback; the fake delivers only to loopback", host)
}

func (s *Server) addDelivery(hookID string, d delivery) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hooks[hookID]
	if !ok {
		return
	}
	d.id = s.nextIDLocked()
	if len(h.requests) >= maxHookReqs {
		h.requests = h.requests[1:]
	}
	h.requests = append(h.requests, d)
}

// maybePing delivers the creation PING in the background when WithPing is set.
func (s *Server) maybePing(w figma.Webhook) {
	if !s.ping || w.Status != figma.StatusActive {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		resp, err := s.Deliver(s.ctx, w.ID, map[string]any{"event_type": figma.EventPing})
		if err == nil {
			_ = resp.Body.Close()
		}
	}()
}
