package b24

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseEvent feeds whole event bodies (form or JSON) through ParseBody and ParseEvent:
// never a panic, and an accepted event always names its portal.
func FuzzParseEvent(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "event-*"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(strings.HasSuffix(name, ".json"), b)
		}
	}
	f.Fuzz(func(t *testing.T, isJSON bool, body []byte) {
		ct := "application/x-www-form-urlencoded"
		if isJSON {
			ct = "application/json"
		}
		v, err := ParseBody(ct, body)
		if err != nil {
			return
		}
		ev, err := ParseEvent(v)
		if err != nil {
			return
		}
		if ev.Auth.MemberID == "" {
			t.Fatalf("accepted an event without auth[member_id]: %q", body)
		}
		_ = ev.DedupKey()
	})
}
