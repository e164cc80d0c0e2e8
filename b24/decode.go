package b24

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// flexString decodes a JSON string, number, boolean or null into a string. B24 types the same
// id as a number in one method and a string in the next (imbot.register answers 39,
// tasks.task.get answers "8017").
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}

	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case 'n':
		*f = ""
	case 't':
		*f = "1"
	case 'f':
		*f = "0"
	case '{', '[':
		return fmt.Errorf("b24: expected a scalar, got %c", b[0])
	default:
		*f = flexString(b)
	}

	return nil
}

// flexBool decodes true/false, "Y"/"N", "1"/"0" and 1/0.
type flexBool bool

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}

	switch strings.ToUpper(string(s)) {
	case "1", "Y", "TRUE":
		*f = true
	default:
		*f = false
	}

	return nil
}

// keyedRaw decodes an object into its members. PHP encodes an empty or 0..n-1 keyed array as a
// JSON list, so a list is accepted too, keyed by index.
func keyedRaw(raw json.RawMessage) (map[string]json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	out := map[string]json.RawMessage{}
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return out, nil
	}

	if raw[0] == '[' {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}

		for i, item := range list {
			out[strconv.Itoa(i)] = item
		}
		return out, nil
	}

	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}

	return out, nil
}

// scalar decodes a raw scalar into a string; objects and lists give ok=false.
func scalar(raw json.RawMessage) (string, bool) {
	var s flexString
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}

	return string(s), true
}
