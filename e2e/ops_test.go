package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func (h *harness) getAs(path, user, pass string) (int, string) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.t.Context(), http.MethodGet, h.bot.URL()+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body)
}

func TestMonitorBehindBasicAuth(t *testing.T) {
	h := newHarness(t, map[string]string{"MONITOR_USER": "ops", "MONITOR_PASSWORD": "s3cret"})
	tests := []struct {
		name, user, pass string
		want             int
	}{
		{"no credentials", "", "", http.StatusUnauthorized},
		{"wrong password", "ops", "guess", http.StatusUnauthorized},
		{"right credentials", "ops", "s3cret", http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := h.getAs("/monitor/", tc.user, tc.pass)
			if code != tc.want {
				t.Errorf("GET /monitor/ = %d, want %d", code, tc.want)
			}
			if code == http.StatusOK && !strings.Contains(body, "<html") {
				t.Errorf("the monitor served no page: %.200q", body)
			}
		})
	}
}

func TestMonitorNotMountedWithoutCredentials(t *testing.T) {
	h := newHarness(t, nil)
	if code, _ := h.getAs("/monitor/", "", ""); code != http.StatusNotFound {
		t.Errorf("GET /monitor/ without MONITOR_USER = %d, want 404", code)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.deliver("FILE_COMMENT", commentPayload("1", "hi"))
	h.deliver("FILE_COMMENT", commentPayload("1", "hi"))
	h.postJSON("/figma/webhook", map[string]any{"event_type": "PING", "passcode": "no",
		"webhook_id": "1", "timestamp": "2026-01-01T00:00:00Z"})
	h.settle()
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready"} {
		if code, body := h.getAs(path, "", ""); code != 200 || strings.TrimSpace(body) != want {
			t.Errorf("GET %s = %d %q", path, code, body)
		}
	}
	_, metrics := h.getAs("/metrics", "", "")
	for _, want := range []string{
		`figbot_intake_requests_total{result="ok",route="figma_webhook"} 1`,
		`figbot_intake_requests_total{result="duplicate",route="figma_webhook"} 1`,
		`figbot_intake_requests_total{result="bad_passcode",route="figma_webhook"} 1`,
		`figbot_figma_passcode_mismatch_total 1`,
		`figbot_tasks_total{result="ok",type="figma:event"} 1`,
		`figbot_task_duration_seconds_count{type="b24:command"} 1`,
		`figbot_outside_calls_total{method="batch",system="b24"} 2`,
		`figbot_outside_calls_total{method="POST /v2/webhooks",system="figma"} 3`,
		`figbot_outside_calls_total{method="GET /v1/files/:id/comments",system="figma"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
