package queue

import "strings"

func upper(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

func cutPrefix(s, prefix string) (string, bool) { return strings.CutPrefix(s, prefix) }
