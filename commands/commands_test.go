package commands

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in         string
		name, args string
		ok         bool
	}{
		{"/link https://www.figma.com/design/K/x", "link", "https://www.figma.com/design/K/x", true},
		{"  /LINKS  ", "links", "", true},
		{"[USER=1291]figbot[/USER] /status", "status", "", true},
		{"[user=1291]figbot[/user], /subscribe all", "subscribe", "all", true},
		{"@figbot /help", "help", "", true},
		{"hello /link x", "", "", false},
		{"/", "", "", false},
		{"", "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			name, args, ok := Parse(tc.in)
			got := []any{name, args, ok}
			if diff := cmp.Diff([]any{tc.name, tc.args, tc.ok}, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"comments, versions", []string{"comments", "versions"}, true},
		{"updates comments", []string{"comments", "updates"}, true},
		{"all", []string{"comments", "versions", "updates", "deletes", "library", "devmode"}, true},
		{"none", nil, true},
		{"all none updates", []string{"updates"}, true},
		{"comment", nil, false},
		{"", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseKinds(tc.in)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
		})
	}
}
