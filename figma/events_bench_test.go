package figma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParseEvent measures the decode of a Figma webhook delivery, for each recorded kind.
func BenchmarkParseEvent(b *testing.B) {
	files, err := filepath.Glob(filepath.Join("testdata", "webhook-*.json"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no webhook samples: %v", err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		label := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "webhook-"), ".json")
		b.Run(label, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				ev, err := ParseEvent(data)
				if err != nil {
					b.Fatal(err)
				}
				_ = ev.DedupKey()
			}
		})
	}
}

// BenchmarkParseLinkKinds measures the link parser on the shapes people paste.
func BenchmarkParseLinkKinds(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"file", "https://www.figma.com/design/" + key22 + "/Checkout"},
		{"frame", "https://www.figma.com/design/" + key22 + "/Checkout?node-id=12-34&t=abc-0"},
		{"legacy", "https://www.figma.com/file/" + key22 + "/Checkout?node-id=12%3A34"},
		{"bbcode", "[URL=https://www.figma.com/design/" + key22 + "/X?node-id=1-2]X[/URL]"},
	} {
		in := tc.in
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseLink(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
