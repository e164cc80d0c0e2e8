package b24

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTaskGetSpellings(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Task
	}{
		{"published sample", string(readSample(t, "response-tasks.task.get.json")),
			Task{ID: "8017", Title: "Task Example", ResponsibleID: "547",
				ResponsibleName: "Test User", CreatedBy: "503",
				UF: map[string]string{"UF_MAIL_MESSAGE": ""}}},
		{"chatId sample", string(readSample(t, "response-tasks.task.get-chatId.json")),
			Task{ID: "51", ChatID: "2537", UF: map[string]string{}}},
		{"camelCase custom field",
			`{"result":{"task":{"id":"5","status":"4","groupId":"11",` +
				`"ufFigmaUrl":"https://www.figma.com/design/k","ufFigmaPreview":null}}}`,
			Task{ID: "5", Status: "4", GroupID: "11", UF: map[string]string{
				"UF_FIGMA_URL": "https://www.figma.com/design/k", "UF_FIGMA_PREVIEW": ""}}},
		{"upper-case custom field",
			`{"result":{"task":{"ID":"5","RESPONSIBLE_ID":3,"CHAT_ID":0,` +
				`"UF_FIGMA_URL":"u"}}}`,
			Task{ID: "5", ResponsibleID: "3", ChatID: "0",
				UF: map[string]string{"UF_FIGMA_URL": "u"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, p := setup(t, func(request) answer { return answer{status: 200, body: tt.body} })
			got, err := c.TaskGet(t.Context(), testMember, "8017", []string{"ID", "UF_FIGMA_URL"})
			if err != nil {
				t.Fatal(err)
			}

			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TaskGet (-want +got):\n%s", diff)
			}

			wantBody := `{"taskId":"8017","select":["ID","UF_FIGMA_URL"],"auth":"ACCESS1"}`
			if body := p.requests()[0].Body; body != wantBody {
				t.Errorf("body = %s, want %s", body, wantBody)
			}
		})
	}
}

func TestUFName(t *testing.T) {
	tests := map[string]string{
		"ufFigmaUrl":     "UF_FIGMA_URL",
		"UF_FIGMA_URL":   "UF_FIGMA_URL",
		"uf_figma_url":   "UF_FIGMA_URL",
		"ufCrmTask":      "UF_CRM_TASK",
		"ufFigmaPreview": "UF_FIGMA_PREVIEW",
	}
	for in, want := range tests {
		if got := ufName(in); got != want {
			t.Errorf("ufName(%q) = %q, want %q", in, got, want)
		}
	}
}
