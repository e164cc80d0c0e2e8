package bot

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestInert(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "Change the colors", "Change the colors"},
		{"mention all", "[USER=all]hi[/USER]", "[\u200bUSER=all]hi[\u200b/USER]"},
		{"url", "[url=http://evil]x[/url]", "[\u200burl=http://evil]x[\u200b/url]"},
		{"controls", "a\x00b\x1bc\nd\te", "abc\nd\te"},
		{"bad utf8", "a\xffb", "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Inert(tc.in)); diff != "" {
				t.Errorf("Inert (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCutKeepsRunes(t *testing.T) {
	s := strings.Repeat("привет", 400)
	got := Cut(s, 100)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 100 || !strings.HasSuffix(got, "…") {
		t.Errorf("Cut gave %d runes, valid=%v", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
	if Cut("short", 100) != "short" {
		t.Error("Cut changed a short string")
	}
}

func TestMentionAndLink(t *testing.T) {
	if diff := cmp.Diff("[USER=547]Ann [\u200bB][/USER]", Mention("547", "Ann [B]")); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff("[USER=1]x[/USER]", Mention("1]x[USER=all", "x")); diff != "" {
		t.Error(diff)
	}
	if diff := cmp.Diff("click", Link("http://a/ [URL=x]", "click")); diff != "" {
		t.Error(diff)
	}
	want := "https://www.figma.com/design/KEY?node-id=1-2#32"
	if diff := cmp.Diff(want, CommentURL("KEY", "1:2", "32")); diff != "" {
		t.Error(diff)
	}
}

func TestCatalogsMatch(t *testing.T) {
	for key, en := range catalog["en"] {
		ru, ok := catalog["ru"][key]
		if !ok {
			t.Errorf("ru lacks %q", key)
			continue
		}
		if strings.Count(en, "%") != strings.Count(ru, "%") {
			t.Errorf("%q: en and ru take different arguments", key)
		}
	}
	if len(catalog["en"]) != len(catalog["ru"]) {
		t.Errorf("catalog sizes differ: %d en, %d ru", len(catalog["en"]), len(catalog["ru"]))
	}
}

func BenchmarkInert(b *testing.B) {
	s := strings.Repeat("Looks good [b]but[/b] move the [USER=all] button ", 20)
	b.ReportAllocs()
	for b.Loop() {
		Inert(s)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", 24 * time.Hour, "1 day"},
		{"en", 396749 * time.Second, "5 days"},
		{"en", 3 * time.Hour, "3 hours"},
		{"en", 150 * time.Second, "3 minutes"},
		{"en", 40 * time.Second, "40 seconds"},
		{"ru", 2 * time.Hour, "2 ч"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := Duration(tc.lang, tc.d); got != tc.want {
				t.Errorf("Duration(%v) = %q, want %q", tc.d, got, tc.want)
			}
		})
	}
}

func TestWidgetPhrasesBothLanguages(t *testing.T) {
	en, ru := WidgetPhrases("en"), WidgetPhrases("ru")
	if len(en) == 0 || len(en) != len(ru) {
		t.Fatalf("widget phrases: %d en, %d ru", len(en), len(ru))
	}
	for key, format := range en {
		if strings.Count(format, "%") != strings.Count(ru[key], "%") {
			t.Errorf("%q: en and ru take different arguments", key)
		}
	}
	if diff := cmp.Diff(en, WidgetPhrases("de")); diff != "" {
		t.Errorf("an unknown language does not fall back to English:\n%s", diff)
	}
}
