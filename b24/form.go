package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Limits on a parsed body. B24 event bodies are small (the largest published sample has about
// 130 keys, 3 levels deep); the limits keep a hostile body from costing more than its size.
const (
	// MaxBodyDepth is the deepest key path accepted: data[BOT][571][AUTH][scope] has depth 5.
	MaxBodyDepth = 8
	// MaxBodyKeys is how many keys (form pairs, or JSON members and elements) a body may hold.
	MaxBodyKeys = 2000
	// MaxKeyLength is the longest key accepted: a whole form key, or one JSON member name.
	MaxKeyLength = 256
)

// ErrBadBody is wrapped by every error ParseBody returns.
var ErrBadBody = errors.New("b24: malformed body")

// Values is a decoded B24 request body: a tree whose nodes are map[string]any (objects and
// PHP bracket keys), []any (PHP "a[]" lists and JSON arrays) and string (every scalar).
type Values map[string]any

// ParseBody decodes a B24 request body. JSON bodies (content type application/json or
// *+json, or a body starting with "{" when the type is empty) are decoded with numbers,
// booleans and nulls turned into strings as PHP's http_build_query would send them; anything
// else is read as a form body with PHP bracket keys (data[PARAMS][DIALOG_ID]=chat12, a[]=1).
func ParseBody(contentType string, body []byte) (Values, error) {
	if isJSONBody(contentType, body) {
		return parseJSONBody(body)
	}

	return parseFormBody(body)
}

func isJSONBody(contentType string, body []byte) bool {
	if strings.TrimSpace(contentType) == "" {
		trimmed := bytes.TrimSpace(body)
		return len(trimmed) > 0 && trimmed[0] == '{'
	}

	mediaType, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}

	return mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")
}

// parseFormBody reads a form body. A trailing line break (as curl -d @file sends) is not part of
// the last value.
func parseFormBody(body []byte) (Values, error) {
	root := map[string]any{}
	count := 0
	text := strings.TrimRight(string(body), "\r\n")
	for pair := range strings.SplitSeq(text, "&") {
		if pair == "" {
			continue
		}

		count++
		if count > MaxBodyKeys {
			return nil, fmt.Errorf("%w: more than %d keys", ErrBadBody, MaxBodyKeys)
		}

		if err := addFormPair(root, pair); err != nil {
			return nil, err
		}
	}

	return Values(root), nil
}

func addFormPair(root map[string]any, pair string) error {
	rawKey, rawValue, _ := strings.Cut(pair, "=")
	key, err := url.QueryUnescape(rawKey)
	if err != nil {
		return fmt.Errorf("%w: bad escape in key", ErrBadBody)
	}

	value, err := url.QueryUnescape(rawValue)
	if err != nil {
		return fmt.Errorf("%w: bad escape in value", ErrBadBody)
	}

	path, err := splitFormKey(key)
	if err != nil {
		return err
	}

	assign(root, path, value)
	return nil
}

// splitFormKey turns "data[PARAMS][DIALOG_ID]" into [data PARAMS DIALOG_ID]; an empty segment
// ("a[]") means "append". Text after a closing bracket that does not open a new one is dropped,
// as PHP does.
func splitFormKey(key string) ([]string, error) {
	if len(key) > MaxKeyLength {
		return nil, fmt.Errorf("%w: key longer than %d bytes", ErrBadBody, MaxKeyLength)
	}

	base, rest, found := strings.Cut(key, "[")
	if base == "" {
		return nil, fmt.Errorf("%w: key without a name", ErrBadBody)
	}

	path := []string{base}
	if !found {
		return path, nil
	}

	rest = "[" + rest
	for rest != "" && rest[0] == '[' {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return nil, fmt.Errorf("%w: unclosed bracket in key", ErrBadBody)
		}

		path = append(path, rest[1:end])
		if len(path) > MaxBodyDepth {
			return nil, fmt.Errorf("%w: key deeper than %d", ErrBadBody, MaxBodyDepth)
		}

		rest = rest[end+1:]
	}

	return path, nil
}

// assign stores value at path below node and returns the (possibly new) node. A later key
// replaces an earlier one of another shape, as in PHP.
func assign(node any, path []string, value string) any {
	if len(path) == 0 {
		return value
	}

	if path[0] == "" {
		list, _ := node.([]any)
		return append(list, assign(nil, path[1:], value))
	}

	m, ok := node.(map[string]any)
	if !ok {
		m = map[string]any{}
	}

	m[path[0]] = assign(m[path[0]], path[1:], value)
	return m
}

func parseJSONBody(body []byte) (Values, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()

	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON", ErrBadBody)
	}

	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadBody)
	}

	obj, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: JSON body is not an object", ErrBadBody)
	}

	n := &jsonNormalizer{}
	out, err := n.object(obj, 0)
	if err != nil {
		return nil, err
	}

	return Values(out), nil
}

// jsonNormalizer turns a decoded JSON tree into the Values shape, counting keys as it goes.
type jsonNormalizer struct {
	keys int
}

func (n *jsonNormalizer) object(obj map[string]any, depth int) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		if len(k) > MaxKeyLength {
			return nil, fmt.Errorf("%w: key longer than %d bytes", ErrBadBody, MaxKeyLength)
		}

		nv, err := n.value(v, depth+1)
		if err != nil {
			return nil, err
		}

		out[k] = nv
	}

	return out, nil
}

func (n *jsonNormalizer) list(items []any, depth int) ([]any, error) {
	out := make([]any, 0, len(items))
	for _, v := range items {
		nv, err := n.value(v, depth+1)
		if err != nil {
			return nil, err
		}

		out = append(out, nv)
	}

	return out, nil
}

func (n *jsonNormalizer) value(v any, depth int) (any, error) {
	n.keys++
	if n.keys > MaxBodyKeys {
		return nil, fmt.Errorf("%w: more than %d keys", ErrBadBody, MaxBodyKeys)
	}

	if depth > MaxBodyDepth {
		return nil, fmt.Errorf("%w: deeper than %d", ErrBadBody, MaxBodyDepth)
	}

	switch t := v.(type) {
	case map[string]any:
		return n.object(t, depth)
	case []any:
		return n.list(t, depth)
	default:
		return scalarString(t), nil
	}
}

// scalarString spells a JSON scalar the way PHP's http_build_query sends it.
func scalarString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case bool:
		if t {
			return "1"
		}
		return "0"
	default:
		return ""
	}
}

// Get returns the node at path. Each step matches a map key exactly, else case-insensitively
// (B24's documentation and its wire format disagree on case), or indexes a list by number.
func (v Values) Get(path ...string) (any, bool) {
	var node any = map[string]any(v)
	for _, seg := range path {
		next, ok := step(node, seg)
		if !ok {
			return nil, false
		}

		node = next
	}

	return node, true
}

func step(node any, seg string) (any, bool) {
	switch t := node.(type) {
	case map[string]any:
		return lookupFold(t, seg)
	case Values:
		return lookupFold(t, seg)
	case []any:
		i, err := strconv.Atoi(seg)
		if err != nil || i < 0 || i >= len(t) {
			return nil, false
		}
		return t[i], true
	default:
		return nil, false
	}
}

// lookupFold finds key exactly, else the smallest key equal to it under case folding.
func lookupFold(m map[string]any, key string) (any, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}

	best, found := "", false
	for k := range m {
		if strings.EqualFold(k, key) && (!found || k < best) {
			best, found = k, true
		}
	}

	if !found {
		return nil, false
	}

	return m[best], true
}

// String returns the string at path, or "" when it is missing or not a string.
func (v Values) String(path ...string) string {
	node, _ := v.Get(path...)
	s, _ := node.(string)
	return s
}

// Map returns the object at path, or nil when it is missing or not an object (B24 sends the
// word "undefined" where an object is absent, e.g. FIELDS_BEFORE of ONTASKADD).
func (v Values) Map(path ...string) Values {
	node, _ := v.Get(path...)
	switch t := node.(type) {
	case map[string]any:
		return Values(t)
	case Values:
		return t
	default:
		return nil
	}
}

// List returns the list at path. An object whose keys are exactly 0..n-1 (how a form body
// spells a JSON array, USERS[0]=1&USERS[1]=2) is returned as a list in key order.
func (v Values) List(path ...string) []any {
	node, _ := v.Get(path...)
	switch t := node.(type) {
	case []any:
		return t
	case map[string]any:
		return indexedList(t)
	default:
		return nil
	}
}

func indexedList(m map[string]any) []any {
	out := make([]any, len(m))
	for k, item := range m {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= len(m) || strconv.Itoa(i) != k {
			return nil
		}

		out[i] = item
	}

	return out
}

// Keys returns the keys of the object at path, numbers first in numeric order, then the rest
// in byte order. B24 keys per-bot and per-command data by id (data[COMMAND][99][...]).
func (v Values) Keys(path ...string) []string {
	m := v.Map(path...)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}

	sort.Slice(keys, func(i, j int) bool { return idLess(keys[i], keys[j]) })
	return keys
}

func idLess(a, b string) bool {
	na, errA := strconv.ParseUint(a, 10, 64)
	nb, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return na < nb
	case errA == nil:
		return true
	case errB == nil:
		return false
	default:
		return a < b
	}
}
