package figma

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ID is an identifier that Figma sends as a JSON string or a JSON number: the spec types
// ids as strings, the docs tables as numbers, and DEV_MODE related links carry numbers
// past 2^53. Numbers are kept as their exact digits, never through float64. Null and ""
// both decode to "", and surrounding spaces are dropped (a doc example has order_id "23 ").
type ID string

// String returns the id's text.
func (id ID) String() string {
	return string(id)
}

// UnmarshalJSON accepts a string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0:
		return errors.New("figma: empty id")
	case string(b) == "null":
		*id = ""
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("figma: id: %w", err)
		}
		*id = ID(strings.TrimSpace(s))
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		*id = ID(b) // encoding/json has already checked that this is a valid number
	default:
		return errors.New("figma: id is neither a string nor a number")
	}
	return nil
}

// optTime is a timestamp that may be absent, null or "" (the FILE_COMMENT doc example
// sends resolved_at ""). All three decode to the zero time.
type optTime struct {
	t time.Time
}

// timeLayouts are the forms Figma timestamps take: ISO 8601 UTC, with or without
// fractional seconds; the zone-less form is read as UTC.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
}

// UnmarshalJSON accepts an ISO 8601 string, "" or null.
func (o *optTime) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		o.t = time.Time{}
		return nil
	}

	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("figma: timestamp: %w", err)
	}
	t, err := parseTime(strings.TrimSpace(s))
	if err != nil {
		return err
	}
	o.t = t
	return nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("figma: timestamp %q is not ISO 8601", s)
}

// ptr returns nil for an absent time.
func (o optTime) ptr() *time.Time {
	if o.t.IsZero() {
		return nil
	}
	t := o.t
	return &t
}
