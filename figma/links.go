package figma

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reasons a text is not a usable Figma link. A *LinkError unwraps to one of them; the texts
// are plain words because the bot shows them to users.
var (
	// ErrNotFigmaURL means the text is not a URL on figma.com or one of its subdomains.
	ErrNotFigmaURL = errors.New("not a Figma link")
	// ErrCommunityFile means a Figma Community page (/community/file/<n>): its number is not
	// a file key; the user must duplicate the file and link the copy.
	ErrCommunityFile = errors.New("a Figma Community file; duplicate it and link your copy")
	// ErrNotAFile means a Figma page that is not a file: team, project or file browser pages.
	ErrNotAFile = errors.New("a Figma page that is not a file")
	// ErrNoFileKey means a file link whose key is missing or malformed.
	ErrNoFileKey = errors.New("the Figma link has no file key")
	// ErrBadNodeID means the link's node-id is not a Figma node id.
	ErrBadNodeID = errors.New("the node-id in the Figma link is not valid")
)

// LinkError says why a text is not a usable Figma link.
type LinkError struct {
	Input  string // the text as given
	Reason error  // ErrNotFigmaURL, ErrCommunityFile, ErrNotAFile, ErrNoFileKey or ErrBadNodeID
}

// maxShownInput bounds how much of the input an error message repeats.
const maxShownInput = 80

// Error says what is wrong, quoting at most about 80 characters of the input.
func (e *LinkError) Error() string {
	return e.Reason.Error() + ": " + strconv.Quote(truncate(e.Input, maxShownInput))
}

// Unwrap returns the reason sentinel.
func (e *LinkError) Unwrap() error {
	return e.Reason
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}

// Link is a Figma file, branch or node as named by a URL.
type Link struct {
	FileKey string // the key to call the API with: the branch key for branch links
	MainKey string // for a branch link, the main file's key; "" otherwise
	NodeID  string // API form "1:2" or "I1:2;3:4"; "" when the link names no node
	Kind    string // path type: "design", "file", "proto", "board", "slides", "deck", "make", ...
	Title   string // unescaped slug ("My-Design" -> "My Design"), "" if none
}

// IsBranch reports whether the link names a branch of another file.
func (l Link) IsBranch() bool {
	return l.MainKey != ""
}

// URL returns the canonical link: https://www.figma.com/<kind>/<key>/<slug>?node-id=1-2,
// with /<main>/branch/<branch>/ for branches. An empty Kind is written as "design".
func (l Link) URL() string {
	kind := l.Kind
	if kind == "" {
		kind = "design"
	}

	var b strings.Builder
	b.WriteString("https://www.figma.com/" + kind + "/")
	if l.MainKey != "" {
		b.WriteString(l.MainKey + "/branch/")
	}
	b.WriteString(l.FileKey)

	if l.Title != "" {
		b.WriteString("/" + url.PathEscape(strings.ReplaceAll(l.Title, " ", "-")))
	}
	if l.NodeID != "" {
		b.WriteString("?node-id=" + url.QueryEscape(strings.ReplaceAll(l.NodeID, ":", "-")))
	}
	return b.String()
}

// ParseLink parses one Figma link as people paste it: with or without scheme, on
// figma.com or a subdomain, wrapped in <…>, [url]…[/url], [url=…]…[/url] or markdown
// [text](…), followed by sentence punctuation. Errors are *LinkError.
func ParseLink(s string) (Link, error) {
	return parseLink(s, 0)
}

// maxLinks bounds how many links FindLinks returns for one text.
const maxLinks = 100

// FindLinks returns the Figma file links in free text (a chat message, a task field), in
// order of appearance and without repeats, at most 100. Texts that only look like links,
// such as a figma.com address inside another site's URL, are skipped.
func FindLinks(text string) []Link {
	var out []Link
	seen := make(map[Link]bool)
	for pos := 0; pos < len(text) && len(out) < maxLinks; {
		start, end, ok := nextCandidate(text, pos)
		if !ok {
			break
		}
		pos = end

		l, err := parseLink(text[start:end], 0)
		if err != nil || seen[l] {
			continue
		}
		seen[l] = true
		out = append(out, l)
	}
	return out
}

// nextCandidate finds the next "figma.com" at or after pos and widens it to the whole
// URL-looking token around it. ok is false when no candidate is left. A candidate whose
// left edge is not a word boundary is skipped but still consumed.
func nextCandidate(text string, pos int) (start, end int, ok bool) {
	for pos < len(text) {
		i := indexFold(text[pos:], "figma.com")
		if i < 0 {
			return 0, 0, false
		}
		i += pos

		start = i
		for start > pos && isHostByte(text[start-1]) {
			start--
		}
		end = tokenEnd(text, i)
		if leftBoundary(text, start) {
			return start, end, true
		}
		pos = end
	}
	return 0, 0, false
}

// indexFold is strings.Index for an ASCII lower-case needle, ignoring ASCII case.
func indexFold(s, needle string) int {
	for i := 0; i+len(needle) <= len(s); i++ {
		if asciiEqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

func asciiEqualFold(s, lower string) bool {
	for i := range len(s) {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// isHostByte is what may precede "figma.com" inside one URL: scheme and subdomains.
func isHostByte(c byte) bool {
	return c == '.' || c == '-' || c == ':' || c == '/' ||
		('0' <= c && c <= '9') || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

// leftBoundary reports whether a URL may start at text[start]: at the start, after a space,
// an opening bracket or quote, after BB-code "[url=", or after any non-ASCII rune. After
// '=', '?', '&', '%' or '@' the text is part of another URL or an e-mail address.
func leftBoundary(text string, start int) bool {
	if start == 0 {
		return true
	}
	c := text[start-1]
	switch {
	case c >= utf8.RuneSelf:
		return true
	case c == '=':
		return start >= 5 && asciiEqualFold(text[start-5:start-1], "[url")
	}
	return strings.IndexByte(" \t\r\n\f\v([{<>\"'`*]|,;!", c) >= 0
}

// tokenEnd returns where the URL token that contains text[i] ends.
func tokenEnd(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isStopRune(r) {
			return i
		}
		i += size
	}
	return i
}

func isStopRune(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("<>[]\"`|{}\\^«»“”‘’", r)
}

// unwrapRounds bounds how many wrappers are peeled off one input.
const unwrapRounds = 4

// clean peels wrappers and surrounding punctuation off a pasted link.
func clean(s string) string {
	s = strings.TrimSpace(s)
	for range unwrapRounds {
		next := unwrap(s)
		if next == s {
			next = trimTrailing(trimLeading(s))
		}
		if next == s {
			break
		}
		s = next
	}
	return s
}

// unwrap removes one wrapper: <…>, <…|label>, [url]…[/url], [url=…]…[/url], [text](…).
func unwrap(s string) string {
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">"):
		inner, _, _ := strings.Cut(s[1:len(s)-1], "|")
		return strings.TrimSpace(inner)
	case strings.HasPrefix(lower, "[url]") && strings.HasSuffix(lower, "[/url]"):
		return strings.TrimSpace(s[5 : len(s)-6])
	case strings.HasPrefix(lower, "[url=") && strings.HasSuffix(lower, "[/url]"):
		inner, _, ok := strings.Cut(s[5:], "]")
		if ok {
			return strings.Trim(strings.TrimSpace(inner), `"'`)
		}
	case strings.HasPrefix(s, "[") && strings.HasSuffix(s, ")"):
		if i := strings.Index(s, "]("); i > 0 {
			return strings.TrimSpace(s[i+2 : len(s)-1])
		}
	}
	return s
}

func trimLeading(s string) string {
	return strings.TrimLeftFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("\"'`*(«“‘", r)
	})
}

// trimTrailing strips sentence punctuation, quotes and spaces from the end. A ')' goes only
// while the text has more ')' than '(' so that "Name-(v2)" keeps its parenthesis.
func trimTrailing(s string) string {
	for s != "" {
		r, size := utf8.DecodeLastRuneInString(s)
		strip := unicode.IsSpace(r) || strings.ContainsRune(".,!?;:\"'`*»”’", r)
		if r == ')' {
			strip = strings.Count(s, ")") > strings.Count(s, "(")
		}
		if !strip {
			break
		}
		s = s[:len(s)-size]
	}
	return s
}

// maxEmbedDepth allows one level of /embed?url=<file url>.
const maxEmbedDepth = 1

func parseLink(s string, depth int) (Link, error) {
	u, err := figmaURL(clean(s))
	if err == nil {
		var l Link
		l, err = linkFromURL(u, depth)
		if err == nil {
			return l, nil
		}
	}

	var le *LinkError
	if errors.As(err, &le) {
		err = le.Reason
	}
	return Link{}, &LinkError{Input: s, Reason: err}
}

// figmaURL parses raw as an http(s) URL on figma.com or a subdomain of it.
func figmaURL(raw string) (*url.URL, error) {
	if raw == "" || strings.IndexFunc(raw, unicode.IsSpace) >= 0 {
		return nil, ErrNotFigmaURL
	}
	switch {
	case strings.HasPrefix(raw, "//"):
		raw = "https:" + raw
	case !hasScheme(raw):
		raw = "https://" + raw
	}

	u, err := url.Parse(raw)
	if err != nil {
		return nil, ErrNotFigmaURL
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return nil, ErrNotFigmaURL
	}

	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host != "figma.com" && !strings.HasSuffix(host, ".figma.com") {
		return nil, ErrNotFigmaURL
	}
	return u, nil
}

// hasScheme reports whether raw starts with "<scheme>://".
func hasScheme(raw string) bool {
	i := strings.Index(raw, "://")
	if i <= 0 {
		return false
	}
	for j, c := range raw[:i] {
		letter := ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
		other := ('0' <= c && c <= '9') || c == '+' || c == '.' || c == '-'
		if !letter && (j == 0 || !other) {
			return false
		}
	}
	return true
}

// knownKinds are the file types Figma uses in paths today (facts §6). Other lower-case
// words followed by a key are accepted too: Figma says new file types may come.
var knownKinds = map[string]bool{
	"file": true, "design": true, "proto": true, "board": true,
	"slides": true, "deck": true, "make": true, "site": true, "buzz": true,
}

// notFilePages are first path segments of figma.com pages that are not files.
var notFilePages = map[string]bool{
	"files": true, "project": true, "team": true, "teams": true, "org": true,
	"settings": true, "oauth": true, "login": true, "signup": true, "logout": true,
	"pricing": true, "blog": true, "developers": true, "downloads": true, "about": true,
	"careers": true, "legal": true, "templates": true, "resource-library": true,
	"plugin-docs": true, "api": true, "enterprise": true, "education": true,
	"recent": true, "drafts": true, "plugins": true, "widgets": true, "embed": true,
}

// maxKeyLen bounds a file key; Embed Kit accepts keys of up to 128 characters.
const maxKeyLen = 128

func linkFromURL(u *url.URL, depth int) (Link, error) {
	segs := pathSegments(u)
	if len(segs) == 0 {
		return Link{}, ErrNotAFile
	}

	kind := strings.ToLower(segs[0])
	if kind == "embed" {
		return embeddedLink(u, depth)
	}
	if err := checkKind(kind, segs); err != nil {
		return Link{}, err
	}

	l, rest := keys(kind, segs[1:])
	if len(rest) > 0 {
		l.Title = titleFromSlug(rest[0])
	}

	var err error
	l.NodeID, err = nodeIDFromQuery(u.RawQuery)
	if err != nil {
		return Link{}, err
	}
	return l, nil
}

// checkKind refuses pages that are not files.
func checkKind(kind string, segs []string) error {
	switch {
	case kind == "community":
		if len(segs) > 1 && strings.EqualFold(segs[1], "file") {
			return ErrCommunityFile
		}
		return ErrNotAFile
	case notFilePages[kind] || !isKindWord(kind):
		return ErrNotAFile
	case len(segs) < 2 || !isKey(segs[1]):
		if knownKinds[kind] {
			return ErrNoFileKey
		}
		return ErrNotAFile
	}
	return nil
}

// keys reads "<key>" or "<key>/branch/<branch_key>" and returns the segments after them.
// "branch" without a key after it is the file's title, not a branch marker.
func keys(kind string, segs []string) (Link, []string) {
	l := Link{Kind: kind, FileKey: segs[0]}
	rest := segs[1:]
	if len(rest) < 2 || rest[0] != "branch" || !isKey(rest[1]) {
		return l, rest
	}
	l.MainKey, l.FileKey = l.FileKey, rest[1]
	return l, rest[2:]
}

// embeddedLink reads Embed Kit 1.0 links: www.figma.com/embed?embed_host=…&url=<file URL>.
func embeddedLink(u *url.URL, depth int) (Link, error) {
	inner, ok := queryValue(u.RawQuery, "url")
	if !ok || inner == "" || depth >= maxEmbedDepth {
		return Link{}, ErrNotAFile
	}
	return parseLink(inner, depth+1)
}

func pathSegments(u *url.URL) []string {
	var out []string
	for seg := range strings.SplitSeq(u.EscapedPath(), "/") {
		if seg == "" {
			continue
		}
		if s, err := url.PathUnescape(seg); err == nil {
			seg = s
		}
		out = append(out, seg)
	}
	return out
}

func isKindWord(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// isKey reports whether s is a file key: letters and digits, any length up to maxKeyLen.
func isKey(s string) bool {
	if s == "" || len(s) > maxKeyLen {
		return false
	}
	for _, c := range []byte(s) {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// titleFromSlug turns "My-Design" into "My Design", dropping edge spaces and trailing
// punctuation that a sentence may have added.
func titleFromSlug(slug string) string {
	t := strings.ReplaceAll(slug, "-", " ")
	return trimTrailing(strings.TrimLeftFunc(t, unicode.IsSpace))
}

// nodeIDFromQuery reads node-id from a raw query. It splits the query by hand because
// instance ids contain ';', which url.ParseQuery refuses as a separator.
func nodeIDFromQuery(rawQuery string) (string, error) {
	v, ok := queryValue(rawQuery, "node-id")
	if !ok || v == "" {
		return "", nil
	}
	id, ok := apiNodeID(v)
	if !ok {
		return "", ErrBadNodeID
	}
	return id, nil
}

func queryValue(rawQuery, name string) (string, bool) {
	for part := range strings.SplitSeq(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return v, true
		}
		return val, true
	}
	return "", false
}

// maxNodeIDLen bounds a node id; instance chains are long but not that long.
const maxNodeIDLen = 512

// apiNodeID turns a node id in link form ("1-2", "I1-2;3-4") or API form into API form
// ("1:2", "I1:2;3:4"), replacing every hyphen, and reports whether it is valid.
func apiNodeID(s string) (string, bool) {
	id := strings.ReplaceAll(strings.TrimSpace(s), "-", ":")
	if id == "" || len(id) > maxNodeIDLen {
		return "", false
	}

	for part := range strings.SplitSeq(strings.TrimPrefix(id, "I"), ";") {
		a, b, ok := strings.Cut(part, ":")
		if !ok || !isDigits(a) || !isDigits(b) {
			return "", false
		}
	}
	return id, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
