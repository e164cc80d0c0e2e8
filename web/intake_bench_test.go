package web

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/internal/testredis"
	"github.com/figbot/figbot/metrics"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

const (
	benchPasscode = "bench-passcode"
	benchMember   = "bench0member0id"
	benchAppToken = "bench-application-token"
)

// benchRouter builds the intake over a real, empty Redis database with one installed portal.
func benchRouter(b *testing.B) (http.Handler, *queue.Client) {
	b.Helper()
	rdb, _ := testredis.New(b)
	env := map[string]string{"PUBLIC_URL": "http://127.0.0.1:1", "REDIS_URL": "redis://x",
		"FIGBOT_SECRET": strings.Repeat("s", 40), "FIGMA_WEBHOOK_PASSCODE": benchPasscode,
		"B24_CLIENT_ID": "id", "B24_CLIENT_SECRET": "secret"}
	cfg, err := configs.Load(func(k string) string { return env[k] }, configs.ModeServe)
	if err != nil {
		b.Fatal(err)
	}
	sealer, err := store.NewSealer([]byte(cfg.Secret.Value()))
	if err != nil {
		b.Fatal(err)
	}
	st := store.New(rdb, sealer)
	err = st.SavePortal(b.Context(), store.Portal{MemberID: benchMember,
		Domain: "bench.bitrix24.com", ClientEndpoint: "https://bench.bitrix24.com/rest/",
		AccessToken: "a", RefreshToken: "r", ApplicationToken: benchAppToken,
		Expires: time.Now().Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	log := logrus.New()
	log.SetOutput(io.Discard)
	jobs := queue.NewClient(rdb)
	return NewRouter(Deps{Config: cfg, Store: st, Jobs: jobs, Metrics: metrics.New(),
		Log: logrus.NewEntry(log)}), jobs
}

// figmaCommentBody is a FILE_COMMENT delivery with comment id n (each n is a new event).
func figmaCommentBody(n int64) []byte {
	raw, _ := json.Marshal(map[string]any{"event_type": "FILE_COMMENT",
		"passcode": benchPasscode, "webhook_id": "1044", "file_key": "BENCHa1b2c3d4e5f6g7h8i9j0",
		"file_name": "Checkout", "comment_id": strconv.FormatInt(n, 10), "parent_id": "",
		"order_id": "3", "timestamp": "2026-02-23T20:27:16Z",
		"created_at":   "2026-02-23T20:27:16Z",
		"comment":      []map[string]string{{"text": "Move the button up a little"}},
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana"}})
	return raw
}

// b24CommandBody is an ONIMCOMMANDADD for /links with message id n.
func b24CommandBody(n int64) string {
	id := strconv.FormatInt(n, 10)
	v := url.Values{"event": {"ONIMCOMMANDADD"}, "ts": {"1772097199"},
		"auth[member_id]": {benchMember}, "auth[application_token]": {benchAppToken},
		"auth[domain]":              {"bench.bitrix24.com"},
		"auth[client_endpoint]":     {"https://bench.bitrix24.com/rest/"},
		"data[COMMAND][7][COMMAND]": {"links"}, "data[COMMAND][7][COMMAND_ID]": {"7"},
		"data[COMMAND][7][COMMAND_PARAMS]": {""}, "data[COMMAND][7][MESSAGE_ID]": {id},
		"data[COMMAND][7][BOT_ID]": {"1291"}, "data[PARAMS][DIALOG_ID]": {"chat2725"},
		"data[PARAMS][MESSAGE_ID]": {id}, "data[PARAMS][MESSAGE]": {"/links"},
		"data[PARAMS][FROM_USER_ID]": {"1269"}, "data[PARAMS][CHAT_TYPE]": {"C"},
		"data[USER][ID]": {"1269"}, "data[USER][NAME]": {"Dana"}}
	return v.Encode()
}

// BenchmarkIntake measures the intake end to end in process: read the body, parse, verify
// (passcode or application_token read from Redis), enqueue on a real Redis, answer. Every
// iteration is a new event, so each one is really enqueued; "duplicate" repeats one event.
func BenchmarkIntake(b *testing.B) {
	cases := []struct {
		name, path, ctype string
		body              func(n int64) string
		want              string
	}{
		{"figma_comment", "/figma/webhook", "application/json",
			func(n int64) string { return string(figmaCommentBody(n)) }, "ok\n"},
		{"figma_duplicate", "/figma/webhook", "application/json",
			func(int64) string { return string(figmaCommentBody(1)) }, "ok\n"},
		{"b24_command", "/b24/events", "application/x-www-form-urlencoded", b24CommandBody,
			"ok\n"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			h, _ := benchRouter(b)
			var seq atomic.Int64
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, tc.path,
					strings.NewReader(tc.body(seq.Add(1))))
				req.Header.Set("Content-Type", tc.ctype)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || rec.Body.String() != tc.want {
					b.Fatalf("answer %d %q", rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// BenchmarkBareEnqueue is the baseline for BenchmarkIntake: the same task and payload handed
// straight to asynq, with the same task id and retention the intake uses.
func BenchmarkBareEnqueue(b *testing.B) {
	rdb, _ := testredis.New(b)
	c := asynq.NewClientFromRedisClient(rdb)
	var seq atomic.Int64
	b.ReportAllocs()
	for b.Loop() {
		n := seq.Add(1)
		t := asynq.NewTask(queue.TypeFigmaEvent, figmaCommentBody(n),
			asynq.TaskID(fmt.Sprintf("bench:%d", n)), asynq.Retention(queue.DedupWindow),
			asynq.Queue(queue.QueueDefault), asynq.MaxRetry(12))
		if _, err := c.EnqueueContext(b.Context(), t); err != nil {
			b.Fatal(err)
		}
	}
}
