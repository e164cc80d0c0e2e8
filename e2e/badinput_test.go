package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// badBody is one broken request and the answer it must get.
type badBody struct {
	name, path, ctype, body string
	want                    int
}

// brokenBodies builds the corpus: truncated, huge, wrongly typed and wrongly encoded bodies for
// the three intake routes. good* are valid bodies of this harness to cut and bend.
func proofBrokenBodies(goodB24, goodFigma string) []badBody {
	const form, js = "application/x-www-form-urlencoded", "application/json"
	var out []badBody
	// A form cut after its last required field is still a whole event (and is accepted), so
	// the cuts stop before "event=", which url.Values.Encode puts after auth[] and data[].
	for _, cut := range []int{1, 7, len(goodB24) / 3, len(goodB24) / 2,
		strings.Index(goodB24, "&event=")} {
		out = append(out, badBody{fmt.Sprintf("b24 form cut at %d", cut), "/b24/events", form,
			goodB24[:cut], http.StatusBadRequest})
	}
	for _, cut := range []int{1, 10, len(goodFigma) / 2, len(goodFigma) - 1} {
		out = append(out, badBody{fmt.Sprintf("figma json cut at %d", cut), "/figma/webhook",
			js, goodFigma[:cut], http.StatusBadRequest})
	}
	gz := proofGzipped(goodFigma)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	many := strings.Repeat("data[x][]=1&", 80000)
	deepForm := "event=ONIMCOMMANDADD&data" + strings.Repeat("[a]", 5000) + "=1"
	huge := `{"event_type":"FILE_COMMENT","comment":[{"text":"` +
		strings.Repeat("x", 1<<20) + `"}]}`
	return append(out,
		badBody{"empty b24 body", "/b24/events", form, "", http.StatusBadRequest},
		badBody{"empty figma body", "/figma/webhook", js, "", http.StatusBadRequest},
		badBody{"empty install body", "/b24/install", form, "", http.StatusBadRequest},
		badBody{"figma body over 1 MiB", "/figma/webhook", js, huge,
			http.StatusRequestEntityTooLarge},
		badBody{"b24 body over 1 MiB", "/b24/events", form, "event=X&d=" +
			strings.Repeat("%41", 1<<19), http.StatusRequestEntityTooLarge},
		badBody{"b24 form with 80,000 keys", "/b24/events", form, many, http.StatusBadRequest},
		badBody{"b24 form nested 5,000 deep", "/b24/events", form, deepForm,
			http.StatusBadRequest},
		badBody{"b24 json nested 100,000 deep", "/b24/events", js, deep, http.StatusBadRequest},
		badBody{"figma json nested 100,000 deep", "/figma/webhook", js, deep,
			http.StatusBadRequest},
		badBody{"figma array instead of object", "/figma/webhook", js, `[{"event_type":1}]`,
			http.StatusBadRequest},
		badBody{"figma event_type a number", "/figma/webhook", js,
			`{"event_type":7,"passcode":"e2e-passcode"}`, http.StatusBadRequest},
		badBody{"figma comment an object", "/figma/webhook", js,
			`{"event_type":"FILE_COMMENT","passcode":"e2e-passcode","comment":{"text":1}}`,
			http.StatusBadRequest},
		badBody{"figma timestamp not a time", "/figma/webhook", js,
			`{"event_type":"FILE_UPDATE","passcode":"e2e-passcode","timestamp":[1]}`,
			http.StatusBadRequest},
		badBody{"figma json null", "/figma/webhook", js, "null", http.StatusBadRequest},
		badBody{"figma gzip bytes", "/figma/webhook", js, gz, http.StatusBadRequest},
		badBody{"figma UTF-16 body", "/figma/webhook", js, proofUtf16(goodFigma),
			http.StatusBadRequest},
		badBody{"figma invalid UTF-8 passcode", "/figma/webhook", js,
			`{"event_type":"PING","passcode":"\xff\xfe"}`, http.StatusBadRequest},
		badBody{"b24 json array", "/b24/events", js, `[1,2,3]`, http.StatusBadRequest},
		badBody{"b24 json event a number", "/b24/events", js, `{"event":5,"auth":{}}`,
			http.StatusBadRequest},
		badBody{"b24 json auth a string", "/b24/events", js,
			`{"event":"ONIMCOMMANDADD","auth":"x","data":[]}`, http.StatusBadRequest},
		badBody{"b24 bad percent escape", "/b24/events", form, "event=%zz&auth[x]=%",
			http.StatusBadRequest},
		badBody{"b24 latin-1 bytes", "/b24/events", form, "event=ONIMBOTJOINCHAT\xe9\xff",
			http.StatusBadRequest},
		badBody{"b24 gzip bytes", "/b24/events", form, gz, http.StatusBadRequest},
		badBody{"b24 bracket soup", "/b24/events", form, "a[[[]]]=1&]]]=2&[=3",
			http.StatusBadRequest},
		badBody{"install json wrong types", "/b24/install", js,
			`{"event":"ONAPPINSTALL","auth":{"member_id":[1],"access_token":{}}}`,
			http.StatusBadRequest},
		badBody{"install frame without tokens", "/b24/install", form, "AUTH_ID=&DOMAIN=x",
			http.StatusBadRequest},
	)
}

func proofGzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}

func proofUtf16(s string) string {
	out := []byte{0xff, 0xfe}
	for _, r := range s {
		out = append(out, byte(r), byte(r>>8))
	}
	return string(out)
}

// TestBrokenBodies sends the corpus to a running bot: each body is answered 4xx with the exact
// status, nothing is enqueued, and the process still answers and still relays a good event.
func TestBrokenBodies(t *testing.T) {
	h := newHarness(t, nil)
	h.install()
	h.link(fileURL())
	h.settle()
	goodB24 := h.portal.CommandEvent(chat, userID, "help", "").Encode()
	good := commentPayload("77", "still alive")
	good["passcode"] = "e2e-passcode"
	good["webhook_id"] = h.figma.Webhooks()[0].ID
	goodFigma, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	before := h.proofQueued()

	for _, tc := range proofBrokenBodies(goodB24, string(goodFigma)) {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.postRaw(tc.path, tc.ctype, tc.body); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}

	if got := h.proofQueued(); got != before {
		t.Errorf("tasks in Redis went from %d to %d: a broken body was enqueued", before, got)
	}
	if code := h.proofGet("/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz answered %d after the corpus", code)
	}
	h.proofMustDeliver("FILE_COMMENT", commentPayload("78", "still alive"))
	h.waitFor("a good comment after the corpus", func() bool { return h.proofChatHas("still alive") })
}

// queued counts asynq task hashes in the test's database.
func (h *harness) proofQueued() int {
	h.t.Helper()
	keys, err := h.rdb.Keys(h.t.Context(), "asynq:{*}:t:*").Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return len(keys)
}

func (h *harness) proofGet(path string) int {
	h.t.Helper()
	resp, err := h.client.Get(h.bot.URL() + path)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
