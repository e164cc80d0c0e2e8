package b24fake

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// newPortal starts a portal for one test and issues an administrator token.
func newPortal(t *testing.T, opts ...Option) (*Portal, string) {
	t.Helper()
	p := New(opts...)
	t.Cleanup(p.Close)
	access, _ := p.IssueTokens()
	return p, access
}

// postRaw sends body to url and returns the status and the decoded JSON answer.
func postRaw(t *testing.T, url, ctype, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url,
		strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}

	req.Header.Set("Content-Type", ctype)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}

	var out map[string]any
	if len(data) > 0 && json.Unmarshal(data, &out) != nil {
		t.Fatalf("answer is not a JSON object: %s", data)
	}

	return resp.StatusCode, out
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// rest sends params as JSON with auth set to token.
func rest(t *testing.T, p *Portal, token, method string, params map[string]any) (int,
	map[string]any) {
	t.Helper()
	body := map[string]any{}
	for k, v := range params {
		body[k] = v
	}
	if token != "" {
		body["auth"] = token
	}

	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}

	return postRaw(t, p.ClientEndpoint()+method, "application/json", string(data))
}

// mustCall is rest that fails the test unless the answer is 200; it returns the result.
func mustCall(t *testing.T, p *Portal, token, method string, params map[string]any) any {
	t.Helper()
	status, ans := rest(t, p, token, method, params)
	if status != 200 {
		t.Fatalf("%s: status %d, answer %v", method, status, ans)
	}
	return ans["result"]
}

func readSample(t *testing.T, name string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}

	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// shape replaces every scalar by its JSON type and every list by the shape of its first item,
// so that two answers with other values but the same structure compare equal.
func shape(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = shape(x)
		}
		return m
	case []any:
		if len(t) == 0 {
			return "[]"
		}
		return []any{shape(t[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	default:
		return "null"
	}
}

// firstValue is the value of some member of an object keyed by id.
func firstValue(v any) any {
	for _, x := range v.(map[string]any) {
		return x
	}
	return nil
}
