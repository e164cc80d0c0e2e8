package bot

import (
	"strings"
	"testing"
)

// BenchmarkQuote measures the BB-code escaping applied to every piece of user text the bot
// posts (Inert plus the cut to a length), on short, long and tag-heavy inputs.
func BenchmarkQuote(b *testing.B) {
	for _, tc := range []struct{ name, in string }{
		{"short", "Move the button up"},
		{"long", strings.Repeat("A plain sentence about the checkout frame. ", 100)},
		{"tags", strings.Repeat("[B]x[/B][URL=https://e.x]y[/URL][USER=1]z[/USER] ", 50)},
		{"cyrillic", strings.Repeat("Сдвиньте кнопку [b]вверх[/b] ", 60)},
	} {
		in := tc.in
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				Quote(in, MaxText)
			}
		})
	}
}
