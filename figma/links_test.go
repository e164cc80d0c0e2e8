package figma

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

const (
	key22  = "CL06nJNn5eZLQKDoARMND5"
	key17  = "BAZsTPbh6W1r66Bdo"
	branch = "Br4nchK3yXYZabcdefghij"
	design = "https://www.figma.com/design/" + key22 // a file link without title
)

func TestParseLink(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Link
	}{
		{"design with node", "https://www.figma.com/design/" + key22 + "/My-Design?node-id=1-2",
			Link{FileKey: key22, NodeID: "1:2", Kind: "design", Title: "My Design"}},
		{"legacy file", "https://www.figma.com/file/" + key22 + "/Old",
			Link{FileKey: key22, Kind: "file", Title: "Old"}},
		{"proto", "https://www.figma.com/proto/" + key22 +
			"/P?node-id=3-4&starting-point-node-id=3%3A4",
			Link{FileKey: key22, NodeID: "3:4", Kind: "proto", Title: "P"}},
		{"board", "https://www.figma.com/board/" + key22 + "/Jam",
			Link{FileKey: key22, Kind: "board", Title: "Jam"}},
		{"slides", "https://www.figma.com/slides/" + key22 + "/Deck-1",
			Link{FileKey: key22, Kind: "slides", Title: "Deck 1"}},
		{"deck", "https://www.figma.com/deck/" + key22,
			Link{FileKey: key22, Kind: "deck"}},
		{"make", "https://www.figma.com/make/" + key22 + "/App",
			Link{FileKey: key22, Kind: "make", Title: "App"}},
		{"future type word", "https://www.figma.com/sketchpad/" + key22 + "/X",
			Link{FileKey: key22, Kind: "sketchpad", Title: "X"}},
		{"short key", "https://figma.com/design/" + key17,
			Link{FileKey: key17, Kind: "design"}},
		{"branch", design + "/branch/" + branch + "/Feature-X?node-id=5-6",
			Link{FileKey: branch, MainKey: key22, NodeID: "5:6", Kind: "design",
				Title: "Feature X"}},
		{"title named branch", "https://www.figma.com/design/" + key22 + "/branch",
			Link{FileKey: key22, Kind: "design", Title: "branch"}},
		{"colon node id", "https://www.figma.com/design/" + key22 + "/D?node-id=1:2",
			Link{FileKey: key22, NodeID: "1:2", Kind: "design", Title: "D"}},
		{"escaped colon", "https://www.figma.com/file/" + key22 + "/D?node-id=1%3A2",
			Link{FileKey: key22, NodeID: "1:2", Kind: "file", Title: "D"}},
		{"instance hyphens", "https://www.figma.com/design/" + key22 + "/D?node-id=I1-2;3-4",
			Link{FileKey: key22, NodeID: "I1:2;3:4", Kind: "design", Title: "D"}},
		{"instance colons", "https://www.figma.com/design/" + key22 + "/D?node-id=I1:2%3B3:4",
			Link{FileKey: key22, NodeID: "I1:2;3:4", Kind: "design", Title: "D"}},
		{"empty node id", "https://www.figma.com/design/" + key22 + "/D?node-id=&m=dev",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"bare host", "figma.com/design/" + key22 + "/D",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"www no scheme", "www.figma.com/design/" + key22,
			Link{FileKey: key22, Kind: "design"}},
		{"other subdomain", "https://embed.figma.com/design/" + key22 + "/D?embed-host=x",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"http scheme", "http://www.figma.com/design/" + key22,
			Link{FileKey: key22, Kind: "design"}},
		{"upper case host and kind", "HTTPS://WWW.FIGMA.COM/Design/" + key22,
			Link{FileKey: key22, Kind: "design"}},
		{"trailing period", "https://www.figma.com/design/" + key22 + "/D?node-id=1-2.",
			Link{FileKey: key22, NodeID: "1:2", Kind: "design", Title: "D"}},
		{"trailing punctuation", "figma.com/design/" + key22 + "/Design!?;,",
			Link{FileKey: key22, Kind: "design", Title: "Design"}},
		{"quoted", `"https://www.figma.com/design/` + key22 + `/D".`,
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"in parentheses", "(https://www.figma.com/design/" + key22 + "/D)",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"balanced parenthesis kept", "https://www.figma.com/design/" + key22 + "/Name-(v2)",
			Link{FileKey: key22, Kind: "design", Title: "Name (v2)"}},
		{"angle brackets", "<https://www.figma.com/design/" + key22 + "/D>",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"bb url", "[URL]https://www.figma.com/design/" + key22 + "/D[/URL]",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"bb url with text", "[url=" + design + "/D?node-id=7-8]the mockup[/url]",
			Link{FileKey: key22, NodeID: "7:8", Kind: "design", Title: "D"}},
		{"markdown", "[mockup](https://www.figma.com/design/" + key22 + "/D)",
			Link{FileKey: key22, Kind: "design", Title: "D"}},
		{"escaped title", design + "/%D0%94%D0%B8%D0%B7%D0%B0%D0%B9%D0%BD-100%25",
			Link{FileKey: key22, Kind: "design", Title: "Дизайн 100%"}},
		{"embed kit 1", "https://www.figma.com/embed?embed_host=share&url=" +
			"https%3A%2F%2Fwww.figma.com%2Fdesign%2F" + key22 + "%2FD%3Fnode-id%3D1-2",
			Link{FileKey: key22, NodeID: "1:2", Kind: "design", Title: "D"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLink(tt.in)
			if err != nil {
				t.Fatalf("ParseLink(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseLink(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseLinkErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrNotFigmaURL},
		{"other host", "https://example.com/design/" + key22, ErrNotFigmaURL},
		{"lookalike host", "https://notfigma.com/design/" + key22, ErrNotFigmaURL},
		{"figma in userinfo", "https://figma.com@evil.example/design/" + key22, ErrNotFigmaURL},
		{"other scheme", "ftp://www.figma.com/design/" + key22, ErrNotFigmaURL},
		{"sentence", "look at figma.com/design/" + key22, ErrNotFigmaURL},
		{"community file", "https://www.figma.com/community/file/1234567890/kit", ErrCommunityFile},
		{"community plugin", "https://www.figma.com/community/plugin/123/p", ErrNotAFile},
		{"team page", "https://www.figma.com/files/team/123456/Team", ErrNotAFile},
		{"project page", "https://www.figma.com/files/project/98765/Proj", ErrNotAFile},
		{"org project", "https://www.figma.com/project/98765/Proj", ErrNotAFile},
		{"home", "https://www.figma.com/", ErrNotAFile},
		{"profile", "https://www.figma.com/@someone", ErrNotAFile},
		{"embed without url", "https://www.figma.com/embed?embed_host=x", ErrNotAFile},
		{"no key", "https://www.figma.com/design/", ErrNoFileKey},
		{"bad key", "https://www.figma.com/design/abc_def/D", ErrNoFileKey},
		{"node id letters", design + "/D?node-id=abc", ErrBadNodeID},
		{"node id half", "https://www.figma.com/design/" + key22 + "/D?node-id=1-", ErrBadNodeID},
		{"node id triple", design + "/D?node-id=1-2-3", ErrBadNodeID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLink(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("ParseLink(%q) = %v, want %v", tt.in, err, tt.want)
			}
			var le *LinkError
			if !errors.As(err, &le) || le.Input != tt.in {
				t.Fatalf("error %v is not a *LinkError for input %q", err, tt.in)
			}
		})
	}
}

func TestLinkErrorText(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("x", 200)
	_, err := ParseLink(long)
	if err == nil {
		t.Fatal("no error")
	}

	msg := err.Error()
	if !strings.HasPrefix(msg, "not a Figma link: ") {
		t.Errorf("message %q does not say what is wrong", msg)
	}
	if strings.Contains(msg, long) || utf8.RuneCountInString(msg) > 110 {
		t.Errorf("message not truncated: %d runes", utf8.RuneCountInString(msg))
	}
}

func TestLinkURL(t *testing.T) {
	tests := []struct {
		name string
		in   Link
		want string
	}{
		{"file", Link{FileKey: key22},
			"https://www.figma.com/design/" + key22},
		{"node and title", Link{FileKey: key22, Kind: "design", Title: "My Design", NodeID: "1:2"},
			"https://www.figma.com/design/" + key22 + "/My-Design?node-id=1-2"},
		{"branch", Link{FileKey: branch, MainKey: key22, Kind: "design"},
			"https://www.figma.com/design/" + key22 + "/branch/" + branch},
		{"instance", Link{FileKey: key22, Kind: "proto", NodeID: "I1:2;3:4"},
			"https://www.figma.com/proto/" + key22 + "?node-id=I1-2%3B3-4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.in.URL()); diff != "" {
				t.Errorf("URL() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestIsBranch(t *testing.T) {
	if (Link{FileKey: key22}).IsBranch() {
		t.Error("plain link reported as branch")
	}
	if !(Link{FileKey: branch, MainKey: key22}).IsBranch() {
		t.Error("branch link not reported as branch")
	}
}

func TestFindLinks(t *testing.T) {
	d := func(key, node string) Link {
		return Link{FileKey: key, NodeID: node, Kind: "design", Title: "D"}
	}
	tests := []struct {
		name string
		in   string
		want []Link
	}{
		{"none", "no links here, just figma talk", nil},
		{"one in a sentence", "Please see " + design + "/D?node-id=1-2.",
			[]Link{d(key22, "1:2")}},
		{"several and repeats",
			"a figma.com/design/" + key22 + "/D, b (https://figma.com/design/" + key17 +
				"/D) and again www.figma.com/design/" + key22 + "/D!",
			[]Link{d(key22, ""), d(key17, "")}},
		{"bb code", "[URL=" + design + "/D?node-id=1-2]frame[/URL] and " +
			"[url]https://www.figma.com/design/" + key17 + "/D[/url]",
			[]Link{d(key22, "1:2"), d(key17, "")}},
		{"markdown and angle", "[x](" + design + "/D) <https://www.figma.com/design/" +
			key17 + "/D>",
			[]Link{d(key22, ""), d(key17, "")}},
		{"unicode around", "Макет: «https://www.figma.com/design/" + key22 + "/D»",
			[]Link{d(key22, "")}},
		{"skips bad links", "https://www.figma.com/files/team/1/T " +
			"https://www.figma.com/community/file/1/x https://figma.com/design/" + key22 + "/D",
			[]Link{d(key22, "")}},
		{"inside another url", "https://example.com/?u=figma.com/design/" + key22 + "/D", nil},
		{"email address", "write to design@figma.com", nil},
		{"other host path", "https://example.com/figma.com/design/" + key22, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, FindLinks(tt.in)); diff != "" {
				t.Errorf("FindLinks(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestFindLinksBounded(t *testing.T) {
	var b strings.Builder
	for i := range 150 {
		key := "K" + strings.Repeat("a", i%7) + string(rune('A'+i%26)) + strings.Repeat("b", i/26)
		b.WriteString("https://www.figma.com/design/" + key + " ")
	}
	if got := len(FindLinks(b.String())); got != maxLinks {
		t.Errorf("FindLinks returned %d links, want the cap %d", got, maxLinks)
	}
}

func TestAPINodeID(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"1:2", "1:2", true},
		{"1-2", "1:2", true},
		{"0:0", "0:0", true},
		{"I1-2;3-4;5-6", "I1:2;3:4;5:6", true},
		{"", "", false},
		{"I", "", false},
		{"1", "", false},
		{"1:2;", "", false},
		{"a:b", "", false},
		{"II1:2", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := apiNodeID(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("apiNodeID(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParseLink(f *testing.F) {
	seeds := []string{
		"https://www.figma.com/design/" + key22 + "/My-Design?node-id=1-2",
		"figma.com/file/" + key17 + "/x?node-id=I1-2;3-4",
		"https://www.figma.com/design/" + key22 + "/branch/" + branch + "/B",
		"[url=https://figma.com/board/" + key22 + "]x[/url]",
		"<https://figma.com/proto/" + key22 + "/Name-(v2)>.",
		"https://www.figma.com/embed?embed_host=a&url=https%3A%2F%2Ffigma.com%2Fdesign%2F" + key22,
		"https://www.figma.com/community/file/1/x",
		"https://www.figma.com/design/" + key22 + "/%2F%25%3F.",
		"https://www.figma.com/design/" + key22 + "/a--b-.)",
		"ftp://figma.com/x",
	}
	for _, s := range seeds {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range FindLinks(s) {
			checkRoundTrip(t, s, l)
		}

		l, err := ParseLink(s)
		if err != nil {
			var le *LinkError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LinkError", err)
			}
			return
		}
		checkRoundTrip(t, s, l)
	})
}

func checkRoundTrip(t *testing.T, s string, l Link) {
	t.Helper()
	if l.FileKey == "" || l.Kind == "" {
		t.Fatalf("%q gave %+v without key or kind", s, l)
	}

	again, err := ParseLink(l.URL())
	if err != nil {
		t.Fatalf("%q gave URL %q that does not parse: %v", s, l.URL(), err)
	}
	if diff := cmp.Diff(l, again); diff != "" {
		t.Fatalf("round trip of %q via %q (-first +again):\n%s", s, l.URL(), diff)
	}
}

func BenchmarkParseLink(b *testing.B) {
	in := "[url=https://www.figma.com/design/" + key22 + "/branch/" + branch +
		"/My-Design?node-id=I1-2;3-4&m=dev]frame[/url]."
	for b.Loop() {
		if _, err := ParseLink(in); err != nil {
			b.Fatal(err)
		}
	}
}
