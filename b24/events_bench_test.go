package b24

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkParseEvent measures what the intake does with a B24 body before it touches Redis:
// the PHP-bracket form (or JSON) parse and the typed event, for each kind figbot enqueues.
func BenchmarkParseEvent(b *testing.B) {
	for _, name := range []string{
		"event-ONIMCOMMANDADD-group.form.txt", "event-ONIMCOMMANDADD-group.json",
		"event-ONIMBOTMESSAGEADD-group.form.txt", "event-ONTASKUPDATE.form.txt",
		"event-ONTASKCOMMENTADD-newcard.form.txt", "event-ONAPPINSTALL.form.txt",
	} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			b.Fatal(err)
		}
		ct := formType
		if strings.HasSuffix(name, ".json") {
			ct = "application/json"
		}
		b.Run(strings.TrimPrefix(name, "event-"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				v, err := ParseBody(ct, data)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := ParseEvent(v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
