package figma

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var sampleTime = time.Date(2020, 2, 23, 20, 27, 16, 0, time.UTC)

func userOne() *User {
	return &User{ID: "100000000000000001", Handle: "User One"}
}

func TestParseEventSamples(t *testing.T) {
	tests := []struct {
		file string
		want Event
	}{
		{"webhook-ping.json", Event{
			Type: "PING", Passcode: "secretpasscode", WebhookID: "22", Timestamp: sampleTime,
		}},
		{"webhook-file-update.json", Event{
			Type: "FILE_UPDATE", Passcode: "secretpasscode", WebhookID: "22",
			Timestamp: sampleTime, FileKey: "FILEKEY_PLACEHOLDER_A1",
			FileName: "Developer page mockup demo",
		}},
		{"webhook-file-delete.json", Event{
			Type: "FILE_DELETE", Passcode: "secretpasscode", WebhookID: "22",
			Timestamp: sampleTime, FileKey: "FILEKEY_PLACEHOLDER_A1",
			FileName: "Developer page mockup demo", TriggeredBy: userOne(),
		}},
		{"webhook-file-version-update.json", Event{
			Type: "FILE_VERSION_UPDATE", Passcode: "secretpasscode", WebhookID: "22",
			Timestamp: sampleTime, FileKey: "FILEKEY_PLACEHOLDER_A1",
			FileName: "Developer page mockup demo", TriggeredBy: userOne(),
			CreatedAt: sampleTime, VersionID: "443", Label: "Added new documentation!",
			Description: "Wrote new documentation for webhooks v2",
		}},
		{"webhook-file-comment.json", Event{
			Type: "FILE_COMMENT", Passcode: "secretpasscode", WebhookID: "22",
			Timestamp: sampleTime, FileKey: "FILEKEY_PLACEHOLDER_B2", FileName: "Mockup library",
			TriggeredBy: userOne(), CommentID: "32", OrderID: "23", CreatedAt: sampleTime,
			Comment: []Fragment{
				{Text: "TODO: \n"}, {Mention: "100000000000000002"},
				{Text: "Change selection colors"},
			},
			Mentions: []User{{ID: "100000000000000002", Handle: "User Two"}},
		}},
		{"webhook-library-publish.json", Event{
			Type: "LIBRARY_PUBLISH", Passcode: "secretpassword", WebhookID: "22",
			Timestamp: sampleTime, FileKey: "FILEKEY_PLACEHOLDER_B2", FileName: "Mockup library",
			TriggeredBy: userOne(), Description: "Adjusted colors to match guidelines",
			Library: LibraryChanges{
				CreatedComponents: []Asset{
					{"ed26a50a541c7e6828420a68707eb49812bda2d3", "Simple button"}},
				CreatedStyles: []Asset{
					{"a68707eb49ed26828420812bda2d36a50a541c7e", "Coral green"}},
				DeletedComponents: []Asset{
					{"0a575f0b60f7238d9f7da3e8d57b99ab4451f28f", "Slider"}},
				DeletedStyles: []Asset{
					{"0b60f0a577b99ab4451f25f7238d9f7da3e8d58d", "Header text"}},
				ModifiedComponents: []Asset{
					{"eacab7bc887f50d99d73ef0eaf6716d5dae0855f", "Date picker"}},
				ModifiedStyles: []Asset{
					{"50d99d73ef0ab7bc887f716d5dae0855feaf6eac", "Background fill"}},
			},
		}},
		{"webhook-dev-mode-status-update.json", Event{
			Type: "DEV_MODE_STATUS_UPDATE", Passcode: "secretpasscode", WebhookID: "434",
			Timestamp: time.Date(2025, 5, 14, 23, 28, 40, 0, time.UTC),
			FileKey:   "FILEKEY_PLACEHOLDER_C3",
			TriggeredBy: &User{
				ID: "100000000000000003", Handle: "user3", Email: "user.three@example.com",
			},
			NodeID: "43:2", Status: "READY_FOR_DEV", ChangeMessage: "New rectangle",
			RelatedLinks: []DevResource{{
				ID: "1118075899259441212", Name: "Issue BB-8",
				URL:    "https://example.atlassian.net/jira/core/projects/BB/board?groupBy=status&selectedIssue=BB-8",
				NodeID: "43:2", FileKey: "FILEKEY_PLACEHOLDER_C3",
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := ParseEvent(readSample(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEventTolerance(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Event
	}{
		{"unknown type and fields",
			`{"event_type":"FILE_SPARKLE","webhook_id":7,"protocol_version":"2","retries":1}`,
			Event{Type: "FILE_SPARKLE", WebhookID: "7"}},
		{"numeric ids and resolved comment",
			`{"event_type":"FILE_COMMENT","comment_id":32,"parent_id":31,"order_id":null,` +
				`"resolved_at":"2020-02-24T10:00:00.123Z",` +
				`"comment":[{"mention":12345678901234567890}]}`,
			Event{Type: "FILE_COMMENT", CommentID: "32", ParentID: "31",
				ResolvedAt: ptrTime(time.Date(2020, 2, 24, 10, 0, 0, 123e6, time.UTC)),
				Comment:    []Fragment{{Mention: "12345678901234567890"}}}},
		{"null version fields",
			`{"event_type":"FILE_VERSION_UPDATE","label":null,"description":null,` +
				`"triggered_by":null}`,
			Event{Type: "FILE_VERSION_UPDATE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEvent([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseEvent (-want +got):\n%s", diff)
			}
		})
	}
}

func ptrTime(t time.Time) *time.Time {
	return &t
}

func TestParseEventErrors(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"array", `[{"event_type":"PING"}]`},
		{"string", `"PING"`},
		{"no event type", `{"passcode":"sekret-passcode","webhook_id":"1"}`},
		{"blank event type", `{"event_type":"  ","passcode":"sekret-passcode"}`},
		{"broken json", `{"event_type":"PING","passcode":"sekret-passcode"`},
		{"bad timestamp",
			`{"event_type":"PING","passcode":"sekret-passcode","timestamp":"yesterday"}`},
		{"wrong id type", `{"event_type":"PING","passcode":"sekret-passcode","webhook_id":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvent([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), "sekret") {
				t.Errorf("error %q leaks the passcode", err)
			}
		})
	}
}

func TestDedupKey(t *testing.T) {
	ts := "2020-02-23T20:27:16Z"
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{"comment", Event{Type: EventFileComment, WebhookID: "22", CommentID: "32",
			FileKey: "K", Timestamp: sampleTime}, "22:FILE_COMMENT:32"},
		{"version", Event{Type: EventFileVersionUpdate, WebhookID: "22", VersionID: "443",
			FileKey: "K", Timestamp: sampleTime}, "22:FILE_VERSION_UPDATE:443"},
		{"file update ignores the hook", Event{Type: EventFileUpdate, WebhookID: "22",
			FileKey: "K", Timestamp: sampleTime}, "FILE_UPDATE:K:" + ts},
		{"delete", Event{Type: EventFileDelete, WebhookID: "22", FileKey: "K",
			Timestamp: sampleTime}, "22:FILE_DELETE:K:" + ts},
		{"comment without id falls back", Event{Type: EventFileComment, WebhookID: "22",
			FileKey: "K", Timestamp: sampleTime}, "22:FILE_COMMENT:K:" + ts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.e.DedupKey()); diff != "" {
				t.Errorf("DedupKey (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEventText(t *testing.T) {
	e, err := ParseEvent(readSample(t, "webhook-file-comment.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := "TODO: \n@User TwoChange selection colors"
	if diff := cmp.Diff(want, e.Text()); diff != "" {
		t.Errorf("Text (-want +got):\n%s", diff)
	}

	e.Mentions = nil
	want = "TODO: \n@100000000000000002Change selection colors"
	if diff := cmp.Diff(want, e.Text()); diff != "" {
		t.Errorf("Text without mentions (-want +got):\n%s", diff)
	}
}

func TestIDUnmarshal(t *testing.T) {
	tests := []struct {
		in      string
		want    ID
		wantErr bool
	}{
		{`"22"`, "22", false},
		{`22`, "22", false},
		{`1118075899259441212`, "1118075899259441212", false},
		{`123456789012345678901234567890`, "123456789012345678901234567890", false},
		{`" 23 "`, "23", false},
		{`null`, "", false},
		{`""`, "", false},
		{`true`, "", true},
		{`{}`, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var id ID
			err := id.UnmarshalJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr || id != tt.want {
				t.Errorf("UnmarshalJSON(%s) = %q, %v; want %q, error %v",
					tt.in, id, err, tt.want, tt.wantErr)
			}
		})
	}
}
