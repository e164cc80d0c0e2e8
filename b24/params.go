package b24

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// KV is one member of an Ordered object.
type KV struct {
	Key   string
	Value any
}

// Ordered is a JSON object whose members keep the given order. encoding/json sorts map keys,
// but legacy task.* methods read their parameters by position ("follow the parameter order in
// the tables", api-reference/tasks/index.md), so task.commentitem.add needs TASKID before
// FIELDS (b24-facts 5).
type Ordered []KV

// MarshalJSON implements json.Marshaler.
func (o Ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range o {
		if i > 0 {
			b.WriteByte(',')
		}

		key, err := json.Marshal(kv.Key)
		if err != nil {
			return nil, err
		}

		value, err := json.Marshal(kv.Value)
		if err != nil {
			return nil, fmt.Errorf("member %q: %w", kv.Key, err)
		}

		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}

	b.WriteByte('}')
	return b.Bytes(), nil
}

// EncodeQuery encodes params as a PHP http_build_query string: nested keys in brackets
// (FIELDS%5BTITLE%5D=x), lists indexed from 0, true/false as 1/0, nulls and empty containers
// left out. Members keep their JSON order, so Ordered and structs keep theirs. batch needs it:
// each command is "method?query".
// https://apidocs.bitrix24.com/settings/how-to-call-rest-api/batch.html
func EncodeQuery(params any) (string, error) {
	if params == nil {
		return "", nil
	}

	data, err := json.Marshal(params)
	if err != nil {
		return "", err
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return "", errors.New("b24: query params must encode as a JSON object")
	}

	var b strings.Builder
	if err := encodeObject(dec, "", &b); err != nil {
		return "", err
	}

	return b.String(), nil
}

func encodeObject(dec *json.Decoder, prefix string, b *strings.Builder) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}

		key, _ := tok.(string)
		name := key
		if prefix != "" {
			name = prefix + "[" + key + "]"
		}

		if err := encodeValue(dec, name, b); err != nil {
			return err
		}
	}

	_, err := dec.Token()
	return err
}

func encodeArray(dec *json.Decoder, prefix string, b *strings.Builder) error {
	for i := 0; dec.More(); i++ {
		if err := encodeValue(dec, prefix+"["+strconv.Itoa(i)+"]", b); err != nil {
			return err
		}
	}

	_, err := dec.Token()
	return err
}

func encodeValue(dec *json.Decoder, name string, b *strings.Builder) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}

	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return encodeObject(dec, name, b)
		}
		return encodeArray(dec, name, b)
	case nil:
		return nil
	default:
		writePair(b, name, scalarString(t))
		return nil
	}
}

func writePair(b *strings.Builder, name, value string) {
	if b.Len() > 0 {
		b.WriteByte('&')
	}

	b.WriteString(url.QueryEscape(name))
	b.WriteByte('=')
	b.WriteString(url.QueryEscape(value))
}
