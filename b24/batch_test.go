package b24

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeQuery(t *testing.T) {
	type fields struct {
		Title string `json:"TITLE"`
		Done  bool   `json:"DONE"`
	}
	tests := []struct {
		name   string
		params any
		want   string
	}{
		{"nil", nil, ""},
		{"flat map", map[string]any{"b": 2, "a": "x y"}, "a=x+y&b=2"},
		{"ordered and nested", Ordered{{"taskId", 5}, {"fields", fields{"Fix [it]", true}}},
			"taskId=5&fields%5BTITLE%5D=Fix+%5Bit%5D&fields%5BDONE%5D=1"},
		{"list indexed from 0", map[string]any{"USERS": []int{7, 9}},
			"USERS%5B0%5D=7&USERS%5B1%5D=9"},
		{"null and empty containers left out",
			map[string]any{"a": nil, "b": []int{}, "c": map[string]int{}, "d": false},
			"d=0"},
		{"list of objects", map[string]any{"L": []map[string]string{{"x": "1"}, {"x": "2"}}},
			"L%5B0%5D%5Bx%5D=1&L%5B1%5D%5Bx%5D=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeQuery(tt.params)
			if err != nil {
				t.Fatal(err)
			}

			if got != tt.want {
				t.Errorf("EncodeQuery = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEncodeQueryRoundTrip checks that ParseBody reads back what EncodeQuery wrote, as B24's
// parse_str does for a batch command.
func TestEncodeQueryRoundTrip(t *testing.T) {
	params := Ordered{{"DIALOG_ID", "chat1"}, {"MESSAGE", "a&b=c [b]x[/b]"},
		{"ATTACH", []any{map[string]any{"MESSAGE": "m"}}}}
	q, err := EncodeQuery(params)
	if err != nil {
		t.Fatal(err)
	}

	got, err := ParseBody(formType, []byte(q))
	if err != nil {
		t.Fatal(err)
	}

	want := Values{"DIALOG_ID": "chat1", "MESSAGE": "a&b=c [b]x[/b]",
		"ATTACH": map[string]any{"0": map[string]any{"MESSAGE": "m"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestEncodeQueryRefuses(t *testing.T) {
	for _, params := range []any{[]int{1}, "x", func() {}} {
		if _, err := EncodeQuery(params); err == nil {
			t.Errorf("EncodeQuery(%T) = nil error", params)
		}
	}
}

type batchBody struct {
	Halt int               `json:"halt"`
	Cmd  map[string]string `json:"cmd"`
	Auth string            `json:"auth"`
}

// batchPortal answers each command with its key, or an error for keys in failing.
func batchPortal(failing map[string]bool) func(request) answer {
	return func(req request) answer {
		var b batchBody
		if err := json.Unmarshal([]byte(req.Body), &b); err != nil {
			return answer{status: 400, body: `{"error":"INVALID_REQUEST"}`}
		}

		results, errs := map[string]string{}, map[string]any{}
		for key := range b.Cmd {
			if failing[key] {
				errs[key] = map[string]string{"error": "ACCESS_DENIED",
					"error_description": "no " + key}
				if b.Halt == 1 {
					break
				}
				continue
			}
			results[key] = key
		}

		out, _ := json.Marshal(map[string]any{"result": results, "result_error": errs})
		return ok(string(out))
	}
}

func TestBatchSplitsIntoFifties(t *testing.T) {
	c, _, p := setup(t, batchPortal(map[string]bool{"c77": true}))
	var cmds []BatchCommand
	for i := range 120 {
		cmds = append(cmds, BatchCommand{Key: fmt.Sprintf("c%d", i), Method: "user.get",
			Params: map[string]int{"ID": i}})
	}

	res, err := c.Batch(t.Context(), testMember, cmds, false)
	if err != nil {
		t.Fatal(err)
	}

	var sizes []int
	for _, r := range p.requests() {
		var b batchBody
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(b.Cmd))
		if r.Path != "/rest/batch" || b.Cmd["c0"] != "" && b.Cmd["c0"] != "user.get?ID=0" {
			t.Errorf("request %s with c0=%q", r.Path, b.Cmd["c0"])
		}
	}

	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}

	want := &APIError{Code: "ACCESS_DENIED", Description: "no c77", Method: "user.get"}
	if diff := cmp.Diff(want, res.Errors["c77"]); diff != "" || len(res.Errors) != 1 {
		t.Errorf("errors %v (-want +got):\n%s", res.Errors, diff)
	}

	if len(res.Results) != 119 || string(res.Results["c119"]) != `"c119"` {
		t.Errorf("got %d results, c119 = %s", len(res.Results), res.Results["c119"])
	}
}

func TestBatchHaltStopsLaterCalls(t *testing.T) {
	c, _, p := setup(t, batchPortal(map[string]bool{"c3": true}))
	var cmds []BatchCommand
	for i := range 60 {
		cmds = append(cmds, BatchCommand{Key: fmt.Sprintf("c%d", i), Method: "app.info"})
	}

	res, err := c.Batch(t.Context(), testMember, cmds, true)
	if err != nil {
		t.Fatal(err)
	}

	reqs := p.requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].Body, `"halt":1`) {
		t.Fatalf("sent %d batch calls (%v), want 1 with halt", len(reqs), reqs)
	}

	if !errors.Is(res.Errors["c3"], ErrAccessDenied) {
		t.Errorf("c3 error = %v", res.Errors["c3"])
	}
}

func TestBatchSampleAnswers(t *testing.T) {
	tests := []struct {
		sample      string
		wantResults []string
		wantErrors  map[string]*APIError
	}{
		{"response-batch.json", []string{"get_department", "get_user"},
			map[string]*APIError{}},
		{"response-batch-error-halt0.json", nil, map[string]*APIError{
			"get_user":       {Code: "insufficient_scope", Method: "user.get"},
			"get_department": {Code: "insufficient_scope", Method: "department.get"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			body := string(readSample(t, tt.sample))
			c, _, _ := setup(t, func(request) answer { return answer{status: 200, body: body} })
			cmds := []BatchCommand{
				{Key: "get_user", Method: "user.get", Params: map[string]any{"ID": 1}},
				{Key: "get_department", Method: "department.get",
					Params: map[string]any{"ID": "$result[get_user][UF_DEPARTMENT]"}},
			}

			res, err := c.Batch(t.Context(), testMember, cmds, false)
			if err != nil {
				t.Fatal(err)
			}

			var keys []string
			for _, k := range []string{"get_department", "get_user"} {
				if _, ok := res.Results[k]; ok {
					keys = append(keys, k)
				}
			}

			if diff := cmp.Diff(tt.wantResults, keys); diff != "" {
				t.Errorf("result keys (-want +got):\n%s", diff)
			}

			if diff := cmp.Diff(tt.wantErrors, res.Errors); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBatchRefusesBadCommands(t *testing.T) {
	tests := map[string][]BatchCommand{
		"duplicate key": {{Key: "a", Method: "x"}, {Key: "a", Method: "y"}},
		"no key":        {{Method: "x"}},
		"no method":     {{Key: "a"}},
		"bad params":    {{Key: "a", Method: "x", Params: []int{1}}},
	}
	for name, cmds := range tests {
		t.Run(name, func(t *testing.T) {
			c, _, p := setup(t, batchPortal(nil))
			if _, err := c.Batch(t.Context(), testMember, cmds, false); err == nil {
				t.Fatal("Batch = nil error")
			}

			if n := len(p.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestBatchCommandLine(t *testing.T) {
	c, _, p := setup(t, batchPortal(nil))
	cmds := []BatchCommand{{Key: "m", Method: "imbot.message.add",
		Params: Ordered{{"DIALOG_ID", "chat5"}, {"MESSAGE", "hi & bye"}}}}
	if _, err := c.Batch(t.Context(), testMember, cmds, false); err != nil {
		t.Fatal(err)
	}

	var b batchBody
	if err := json.Unmarshal([]byte(p.requests()[0].Body), &b); err != nil {
		t.Fatal(err)
	}

	method, query, _ := strings.Cut(b.Cmd["m"], "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}

	got := []string{method, q.Get("DIALOG_ID"), q.Get("MESSAGE"), b.Auth}
	want := []string{"imbot.message.add", "chat5", "hi & bye", "ACCESS1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("command line (-want +got):\n%s", diff)
	}
}
