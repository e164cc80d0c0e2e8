// Package bot holds everything figbot says: the wording of its chat messages, task comments and
// command replies in English and Russian, and the rules that make outside text safe to show in
// B24's BB-code.
package bot

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// zwsp is a zero-width space. Put after "[", it keeps B24 from reading the bracket as the start
// of a BB-code tag while the text still looks the same to a reader.
const zwsp = "\u200b"

// MaxText is the longest piece of outside text (a comment, a description) put in one message.
const MaxText = 1500

// Inert makes user text harmless in a B24 message: no BB-code tag in it can take effect, so a
// Figma comment cannot mention [USER=all], add links or change formatting. Control characters
// other than newline and tab are dropped; invalid UTF-8 becomes U+FFFD.
func Inert(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '[':
			b.WriteString("[" + zwsp)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			continue
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Cut shortens s to at most max runes, ending with "…" when it cut; it never splits a rune.
func Cut(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	runes := []rune(s)
	return strings.TrimRight(string(runes[:max-1]), " \n") + "…"
}

// Quote makes outside text inert and short: the form every Figma text takes in a message.
func Quote(s string, max int) string {
	return Inert(Cut(strings.TrimSpace(s), max))
}

// Mention writes a B24 mention of a user. The name is user text, so it is made inert.
func Mention(userID, name string) string {
	if userID == "" {
		return Inert(name)
	}
	if name == "" {
		name = "#" + userID
	}
	return "[USER=" + digits(userID) + "]" + Inert(name) + "[/USER]"
}

// Link writes a BB-code link; the label is made inert, and a URL that could break out of the
// tag is shown as plain text instead.
func Link(url, label string) string {
	if url == "" || strings.ContainsAny(url, "[] \n\"") {
		return Inert(label)
	}
	return "[URL=" + url + "]" + Inert(label) + "[/URL]"
}

// Bold wraps text that is already safe (made inert or written by figbot) in [B].
func Bold(safe string) string { return "[B]" + safe + "[/B]" }

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Duration says a wait in words a person reads at a glance: "2 days", "5 hours", "3 minutes",
// "40 seconds" (Russian: "2 дн.", "5 ч", "3 мин", "40 с").
func Duration(lang string, d time.Duration) string {
	type unit struct {
		size   time.Duration
		en, ru string
	}
	units := []unit{{24 * time.Hour, "day", "дн."}, {time.Hour, "hour", "ч"},
		{time.Minute, "minute", "мин"}, {time.Second, "second", "с"}}
	for _, u := range units {
		if d >= u.size || u.size == time.Second {
			n := int((d + u.size/2) / u.size)
			if lang == "ru" {
				return fmt.Sprintf("%d %s", n, u.ru)
			}
			if n == 1 {
				return "1 " + u.en
			}
			return fmt.Sprintf("%d %ss", n, u.en)
		}
	}
	return d.String()
}
