package main

import (
	"bytes"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/figbot/figbot/fakes/figmafake"
	"github.com/figbot/figbot/figma"
)

const (
	testFile  = "CLIa1b2c3d4e5f6g7h8i9j0k"
	testToken = "figd_cli_token"
)

// setupFigma starts the fake Figma with one file and sets the environment the tools read.
func setupFigma(t *testing.T) *figmafake.Server {
	t.Helper()
	f := figmafake.New()
	t.Cleanup(f.Close)
	f.AddToken(testToken, figma.User{ID: "1", Handle: "figbot"})
	f.AddFile(figmafake.File{Key: testFile, Name: "CLI", Version: "1"})
	t.Setenv("FIGMA_API_URL", f.URL())
	t.Setenv("FIGMA_TOKEN", testToken)
	t.Setenv("PUBLIC_URL", "https://bot.example.com")
	t.Setenv("FIGMA_WEBHOOK_PASSCODE", "cli-passcode")
	t.Setenv("FIGMA_TEAM_ID", "")
	return f
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// register, list and delete work against the fake Figma through run().
func TestWebhooksRegisterListDelete(t *testing.T) {
	f := setupFigma(t)

	code, out, errs := runCLI("webhooks", "register", "--file", testFile)
	if code != exitOK {
		t.Fatalf("register exit %d: %s", code, errs)
	}
	if got := strings.Count(out, "created "); got != 3 {
		t.Errorf("register printed %d hooks:\n%s", got, out)
	}
	var events []string
	for _, w := range f.Webhooks() {
		events = append(events, w.EventType)
		if w.Endpoint != "https://bot.example.com/figma/webhook" || w.ContextID != testFile {
			t.Errorf("hook %s: endpoint %q context %q", w.ID, w.Endpoint, w.ContextID)
		}
	}
	sort.Strings(events)
	want := []string{"FILE_COMMENT", "FILE_UPDATE", "FILE_VERSION_UPDATE"}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("hooks (-want +got):\n%s", diff)
	}

	code, out, errs = runCLI("webhooks", "list", "--file", testFile)
	if code != exitOK {
		t.Fatalf("list exit %d: %s", code, errs)
	}
	for _, w := range f.Webhooks() {
		if !strings.Contains(out, w.ID+"  "+w.EventType) || !strings.Contains(out, "ACTIVE") {
			t.Errorf("list does not show hook %s %s:\n%s", w.ID, w.EventType, out)
		}
	}

	gone := f.Webhooks()[0].ID
	code, out, errs = runCLI("webhooks", "delete", gone)
	if code != exitOK || out != "deleted "+gone+"\n" {
		t.Fatalf("delete exit %d out %q: %s", code, out, errs)
	}
	if got := len(f.Webhooks()); got != 2 {
		t.Errorf("hooks after delete = %d, want 2", got)
	}
}

func TestWebhooksRefusals(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"no context", nil, []string{"webhooks", "register"}, exitError},
		{"two contexts", nil, []string{"webhooks", "list", "--file", testFile, "--team", "1"},
			exitError},
		{"delete without id", nil, []string{"webhooks", "delete"}, exitError},
		{"delete unknown", nil, []string{"webhooks", "delete", "424242"}, exitError},
		{"no token", map[string]string{"FIGMA_TOKEN": ""},
			[]string{"webhooks", "list", "--file", testFile}, exitConfig},
		{"register without passcode", map[string]string{"FIGMA_WEBHOOK_PASSCODE": ""},
			[]string{"webhooks", "register", "--file", testFile}, exitConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := setupFigma(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if code, _, errs := runCLI(tc.args...); code != tc.want {
				t.Errorf("exit %d, want %d: %s", code, tc.want, errs)
			}
			if got := len(f.Webhooks()); got != 0 {
				t.Errorf("a refused command made %d hooks", got)
			}
		})
	}
}
