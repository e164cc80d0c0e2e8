package b24

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const formType = "application/x-www-form-urlencoded"

func TestParseBody(t *testing.T) {
	tests := []struct {
		name        string
		contentType string
		body        string
		want        Values
	}{
		{
			name:        "nested brackets",
			contentType: formType,
			body:        "data%5BPARAMS%5D%5BDIALOG_ID%5D=chat12&auth[application_token]=tok&ts=1",
			want: Values{
				"data": map[string]any{"PARAMS": map[string]any{"DIALOG_ID": "chat12"}},
				"auth": map[string]any{"application_token": "tok"},
				"ts":   "1",
			},
		},
		{
			name:        "list and plus as space",
			contentType: formType,
			body:        "a[]=1&a[]=2&m=hello+world%21",
			want:        Values{"a": []any{"1", "2"}, "m": "hello world!"},
		},
		{
			name:        "list of objects",
			contentType: formType,
			body:        "a[][x]=1&a[][x]=2",
			want:        Values{"a": []any{map[string]any{"x": "1"}, map[string]any{"x": "2"}}},
		},
		{
			name:        "later key replaces earlier shape, text after bracket dropped",
			contentType: formType,
			body:        "a=1&a[b]=2&c[d]x=3&e",
			want: Values{
				"a": map[string]any{"b": "2"},
				"c": map[string]any{"d": "3"},
				"e": "",
			},
		},
		{
			name:        "json scalars become strings",
			contentType: "application/json; charset=utf-8",
			body:        `{"a":1,"b":true,"c":false,"d":null,"e":[1.5,"x"],"f":{"g":"h"}}`,
			want: Values{
				"a": "1", "b": "1", "c": "0", "d": "",
				"e": []any{"1.5", "x"}, "f": map[string]any{"g": "h"},
			},
		},
		{
			name: "json sniffed without content type",
			body: ` {"event":"ONAPPINSTALL"}`,
			want: Values{"event": "ONAPPINSTALL"},
		},
		{
			name:        "empty form",
			contentType: formType,
			body:        "",
			want:        Values{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseBody(tt.contentType, []byte(tt.body))
			if err != nil {
				t.Fatalf("ParseBody: %v", err)
			}

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseBody (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseBodyRefuses(t *testing.T) {
	deep := "a" + strings.Repeat("[x]", MaxBodyDepth) + "=1"
	manyPairs := strings.Repeat("a[]=1&", MaxBodyKeys) + "a[]=1"
	longKey := strings.Repeat("k", MaxKeyLength+1) + "=1"
	deepJSON := strings.Repeat(`{"a":`, MaxBodyDepth+1) + "1" + strings.Repeat("}", MaxBodyDepth+1)
	manyJSON := `{"a":[` + strings.Repeat("1,", MaxBodyKeys) + `1]}`
	tests := []struct {
		name        string
		contentType string
		body        string
	}{
		{"form too deep", formType, deep},
		{"form too many keys", formType, manyPairs},
		{"form key too long", formType, longKey},
		{"form bad escape", formType, "a=%zz"},
		{"form bad key escape", formType, "a%zz=1"},
		{"form unclosed bracket", formType, "a[b=1"},
		{"form key without name", formType, "[a]=1"},
		{"json too deep", "application/json", deepJSON},
		{"json too many keys", "application/json", manyJSON},
		{"json key too long", "application/json", `{"` + strings.Repeat("k", 300) + `":1}`},
		{"json not an object", "application/json", `[1,2]`},
		{"json invalid", "application/json", `{"a":`},
		{"json trailing data", "application/json", `{"a":1} {"b":2}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBody(tt.contentType, []byte(tt.body))
			if !errors.Is(err, ErrBadBody) {
				t.Fatalf("ParseBody error = %v, want ErrBadBody", err)
			}
		})
	}
}

func TestParseBodyAtLimits(t *testing.T) {
	deepest := "a" + strings.Repeat("[x]", MaxBodyDepth-1) + "=1"
	most := strings.Repeat("a[]=1&", MaxBodyKeys-1) + "a[]=1"
	for name, body := range map[string]string{"deepest": deepest, "most keys": most} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseBody(formType, []byte(body)); err != nil {
				t.Fatalf("ParseBody at the limit: %v", err)
			}
		})
	}
}

func TestValuesAccessors(t *testing.T) {
	v, err := ParseBody(formType, []byte(
		"data[params][dialog_id]=chat1&data[Other][MESSAGE]=hi&USERS[1]=b&USERS[0]=a"+
			"&L[]=x&L[]=y&data[BOT][571][x]=1&data[BOT][39][x]=2&data[BOT][abc][x]=3"+
			"&gap[0]=a&gap[2]=c"))
	if err != nil {
		t.Fatal(err)
	}

	got := map[string]any{
		"fold":        v.String("DATA", "PARAMS", "DIALOG_ID"),
		"exact":       v.String("data", "Other", "MESSAGE"),
		"missing":     v.String("data", "nope"),
		"not string":  v.String("data"),
		"map nil":     v.Map("data", "Other", "MESSAGE") == nil,
		"indexed":     v.List("USERS"),
		"list":        v.List("L"),
		"list index":  v.String("L", "1"),
		"bad index":   v.String("L", "7"),
		"gap is nil":  v.List("gap") == nil,
		"keys by id":  v.Keys("data", "BOT"),
		"keys absent": v.Keys("nope"),
	}
	want := map[string]any{
		"fold":        "chat1",
		"exact":       "hi",
		"missing":     "",
		"not string":  "",
		"map nil":     true,
		"indexed":     []any{"a", "b"},
		"list":        []any{"x", "y"},
		"list index":  "y",
		"bad index":   "",
		"gap is nil":  true,
		"keys by id":  []string{"39", "571", "abc"},
		"keys absent": []string{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("accessors (-want +got):\n%s", diff)
	}
}

func FuzzParseBody(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "event-*"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}

		ct := formType
		if strings.HasSuffix(name, ".json") {
			ct = "application/json"
		}
		f.Add(ct, data)
	}

	f.Add(formType, []byte("a[][b][]=1&a[][b][]=2&a[x]=y"))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		v, err := ParseBody(contentType, body)
		if err != nil {
			if !errors.Is(err, ErrBadBody) {
				t.Fatalf("error %v does not wrap ErrBadBody", err)
			}
			return
		}

		if n, depth := countNodes(map[string]any(v), 0); n > MaxBodyKeys || depth > MaxBodyDepth {
			t.Fatalf("parsed %d nodes, depth %d: over the limits", n, depth)
		}
	})
}

// countNodes returns how many nodes lie below node and how deep the deepest one is.
func countNodes(node any, depth int) (count, deepest int) {
	deepest = depth
	var children []any
	switch t := node.(type) {
	case map[string]any:
		for _, c := range t {
			children = append(children, c)
		}
	case []any:
		children = t
	}

	for _, c := range children {
		n, d := countNodes(c, depth+1)
		count += n + 1
		deepest = max(deepest, d)
	}

	return count, deepest
}

func BenchmarkParseBody(b *testing.B) {
	for _, name := range []string{
		"event-ONIMCOMMANDADD-group.form.txt", "event-ONIMCOMMANDADD-group.json",
	} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}

		ct := formType
		if strings.HasSuffix(name, ".json") {
			ct = "application/json"
		}

		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseBody(ct, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
