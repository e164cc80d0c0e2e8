package b24fake

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/b24"
)

const maxRequestBody = 16 << 20

// apiError is an error answer: {"error": code, "error_description": desc}.
type apiError struct {
	status   int
	code     string
	desc     string
	argument string // ERROR_ARGUMENT names the argument, as in error-placement.bind.json
}

func badRequest(code, desc string) *apiError {
	return &apiError{status: 400, code: code, desc: desc}
}

func argumentError(name string) *apiError {
	return &apiError{status: 400, code: "ERROR_ARGUMENT", argument: name,
		desc: "Argument '" + name + "' is null or empty"}
}

func (e *apiError) body() map[string]any {
	b := map[string]any{"error": e.code, "error_description": e.desc}
	if e.argument != "" {
		b["argument"] = e.argument
	}
	return b
}

// call is one method call being served.
type call struct {
	method  string
	params  b24.Values
	order   []string // top-level parameter names in body order
	userID  string   // the token's user
	inBatch bool
	raw     []byte // the request body, to read nested key order
	ctype   string
}

type handler func(s *state, c *call) (any, *apiError)

// handlers maps lower-case method names to their implementation (methods_*.go).
var handlers map[string]handler

func init() {
	handlers = map[string]handler{
		"app.info":                    appInfo,
		"batch":                       batch,
		"imbot.register":              imbotRegister,
		"imbot.bot.list":              imbotBotList,
		"imbot.command.register":      imbotCommandRegister,
		"imbot.message.add":           imbotMessageAdd,
		"imbot.command.answer":        imbotCommandAnswer,
		"imbot.chat.user.add":         imbotChatUserAdd,
		"im.chat.get":                 imChatGet,
		"im.dialog.messages.get":      imDialogMessagesGet,
		"tasks.task.get":              tasksTaskGet,
		"tasks.task.update":           tasksTaskUpdate,
		"task.commentitem.add":        taskCommentItemAdd,
		"task.commentitem.get":        taskCommentItemGet,
		"task.item.userfield.add":     taskUserFieldAdd,
		"task.item.userfield.getlist": taskUserFieldGetList,
		"event.bind":                  eventBind,
		"event.get":                   eventGet,
		"placement.bind":              placementBind,
		"placement.get":               placementGet,
		"disk.storage.getforapp":      diskStorageGetForApp,
		"disk.folder.uploadfile":      diskFolderUploadFile,
		"log.blogpost.add":            logBlogPostAdd,
		"im.notify.system.add":        imNotifySystemAdd,
		"user.get":                    userGet,
		"disk.folder.addsubfolder":    diskFolderAddSubfolder,
		"disk.file.uploadversion":     diskFileUploadVersion,
	}
}

// serveMethod answers POST/GET {endpoint}{method}[.json] with a JSON or form body.
func (s *state) serveMethod(w http.ResponseWriter, r *http.Request) {
	method := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/rest/"),
		".json"))
	c, err := readCall(r, method)
	if err != nil {
		writeJSON(w, err.status, err.body())
		return
	}

	if !s.waitStall(r, method) {
		return // the client went away while the call was held: B24 never saw it
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	status, body := s.serveCall(c, r.URL.Query().Get("auth"))
	writeJSON(w, status, body)
}

// waitStall holds a call of a stalled method for the stall's duration. It reports false when
// the client gave up first; the call is then not applied, as if it never reached the portal.
func (s *state) waitStall(r *http.Request, method string) bool {
	s.mu.Lock()
	st, ok := s.stalls[method]
	if ok {
		st.times--
		if st.times <= 0 {
			delete(s.stalls, method)
		}
		s.stalled++
	}
	s.mu.Unlock()
	if !ok {
		return true
	}
	t := time.NewTimer(st.d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func readCall(r *http.Request, method string) (*call, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil || len(raw) > maxRequestBody {
		return nil, badRequest("INVALID_REQUEST", "Request body too large or unreadable")
	}

	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/") {
		ct, raw = "", nil
	}

	if len(bytes.TrimSpace(raw)) == 0 && r.URL.RawQuery != "" {
		ct, raw = "application/x-www-form-urlencoded", []byte(r.URL.RawQuery)
	}

	params, perr := b24.ParseBody(ct, raw)
	if perr != nil {
		return nil, badRequest("INVALID_REQUEST", "Request body cannot be parsed")
	}

	return &call{method: method, params: params, order: keyOrder(ct, raw, ""), raw: raw,
		ctype: ct}, nil
}

// serveCall checks auth and rate, records the call and runs it. queryAuth is ?auth= from the URL,
// which B24 also accepts.
func (s *state) serveCall(c *call, queryAuth string) (int, any) {
	token := c.params.String("auth")
	if token == "" {
		token = queryAuth
	}

	userID, aerr := s.checkAccess(token)
	if aerr != nil {
		return aerr.status, aerr.body()
	}

	if !s.rate.take(time.Now()) {
		e := &apiError{status: 503, code: "QUERY_LIMIT_EXCEEDED", desc: "Too many requests"}
		return e.status, e.body()
	}

	c.userID = userID
	start := time.Now()
	result, aerr := s.run(c)
	if aerr != nil {
		return aerr.status, aerr.body()
	}

	return 200, map[string]any{"result": result, "time": timeInfo(start)}
}

// run records the call, applies a pending fault and calls the handler.
func (s *state) run(c *call) (any, *apiError) {
	idx := s.record(c)
	result, aerr := s.dispatch(c)
	s.calls[idx].Status = 200
	if aerr != nil {
		s.calls[idx].Status = aerr.status
	}

	return result, aerr
}

func (s *state) dispatch(c *call) (any, *apiError) {
	if f, ok := s.faults[c.method]; ok {
		f.Times--
		if f.Times <= 0 {
			delete(s.faults, c.method)
		}
		return nil, &apiError{status: f.Status, code: f.Code, desc: f.Description}
	}

	h, ok := handlers[c.method]
	if !ok {
		return nil, &apiError{status: 404, code: "ERROR_METHOD_NOT_FOUND",
			desc: "Method not found!"}
	}

	return h(s, c)
}

func (s *state) record(c *call) int {
	params := maps.Clone(c.params)
	delete(params, "auth")
	s.calls = append(s.calls, Call{Method: c.method, Params: params, At: time.Now(),
		InBatch: c.inBatch})
	return len(s.calls) - 1
}

// timeInfo is the "time" member of every answer (api-reference/data-types.md#time).
func timeInfo(start time.Time) map[string]any {
	finish := time.Now()
	return map[string]any{
		"start":              float64(start.UnixMicro()) / 1e6,
		"finish":             float64(finish.UnixMicro()) / 1e6,
		"duration":           finish.Sub(start).Seconds(),
		"processing":         finish.Sub(start).Seconds(),
		"date_start":         start.Format(time.RFC3339),
		"date_finish":        finish.Format(time.RFC3339),
		"operating_reset_at": start.Add(10 * time.Minute).Unix(),
		"operating":          0,
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// keyOrder lists the member names of the top-level object (parent "") or of the top-level
// member parent, in body order. Legacy task.* methods read parameters by position, so the fake
// needs the order a map loses.
func keyOrder(ctype string, raw []byte, parent string) []string {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return jsonKeyOrder(trimmed, parent)
	}

	return formKeyOrder(string(raw), parent)
}

func jsonKeyOrder(raw []byte, parent string) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}

	if parent != "" && !seekMember(dec, parent) {
		return nil
	}

	return memberNames(dec)
}

// seekMember advances dec to the value of member name of the current object and consumes its
// opening brace; it reports false when the member is missing or not an object.
func seekMember(dec *json.Decoder, name string) bool {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return false
		}

		if key, _ := tok.(string); strings.EqualFold(key, name) {
			tok, err := dec.Token()
			return err == nil && tok == json.Delim('{')
		}

		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return false
		}
	}

	return false
}

func memberNames(dec *json.Decoder) []string {
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return names
		}

		key, _ := tok.(string)
		names = append(names, key)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return names
		}
	}

	return names
}

func formKeyOrder(body, parent string) []string {
	seen := map[string]bool{}
	var names []string
	for pair := range strings.SplitSeq(body, "&") {
		v, err := b24.ParseBody("application/x-www-form-urlencoded", []byte(pair))
		if err != nil {
			continue
		}

		for key := range firstLevel(v, parent) {
			if !seen[key] {
				seen[key] = true
				names = append(names, key)
			}
		}
	}

	return names
}

func firstLevel(v b24.Values, parent string) b24.Values {
	if parent == "" {
		return v
	}

	return v.Map(parent)
}

// bucket is B24's leaky bucket per portal: each call adds one, the level drains at rate per
// second, and a call that would overflow burst is refused with 503 QUERY_LIMIT_EXCEEDED.
type bucket struct {
	rate  float64 // 0 = no limit
	burst float64
	level float64
	last  time.Time
}

func (b *bucket) take(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}

	if !b.last.IsZero() {
		b.level = max(0, b.level-now.Sub(b.last).Seconds()*b.rate)
	}

	b.last = now
	if b.level+1 > b.burst {
		return false
	}

	b.level++
	return true
}

// SetRate limits calls to perSec per second with the given burst, as the cloud does (2/s,
// burst 50; Enterprise 5/s, burst 250). perSec 0 removes the limit (the default).
func (p *Portal) SetRate(perSec float64, burst int) {
	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.rate = bucket{rate: perSec, burst: float64(burst)}
}

// Fail makes the next f.Times calls of method (any case) answer f.Status with f.Code.
func (p *Portal) Fail(method string, f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}

	st := p.state()
	st.mu.Lock()
	defer st.mu.Unlock()
	st.faults[strings.ToLower(method)] = &f
}

func itoa(n int) string { return strconv.Itoa(n) }

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// num turns a numeric id into a JSON number, as B24 types most ids.
func num(id string) any {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return id
	}
	return n
}
