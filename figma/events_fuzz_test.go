package figma

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseEvent feeds webhook bodies to the parser: it must never panic, and an event it
// accepts must have a type and produce a dedup key.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "webhook-*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"event_type":"FILE_COMMENT","comment":[{"mention":1e400}],"webhook_id":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			return
		}
		if ev.Type == "" {
			t.Fatalf("accepted an event without a type: %q", body)
		}
		_ = ev.DedupKey()
		_ = ev.Text()
	})
}
