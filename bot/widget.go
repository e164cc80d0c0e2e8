package bot

import (
	_ "embed" // the widget's phrases
	"encoding/json"
)

//go:embed widget_texts.json
var widgetJSON []byte

// widgetCatalog holds the task widget's phrases per language ("en", "ru"), as fmt formats.
var widgetCatalog = mustWidgetCatalog()

// mustWidgetCatalog loads the widget's phrases and refuses a catalog whose languages do not
// have the same keys, so a missing translation stops the build's tests, not a page view.
func mustWidgetCatalog() map[string]map[string]string {
	var cat map[string]map[string]string
	if err := json.Unmarshal(widgetJSON, &cat); err != nil {
		panic("bot: widget texts: " + err.Error())
	}
	for key := range cat["en"] {
		if _, ok := cat["ru"][key]; !ok {
			panic("bot: widget text " + key + " has no Russian")
		}
	}
	if len(cat["en"]) != len(cat["ru"]) || len(cat["en"]) == 0 {
		panic("bot: widget texts differ between languages")
	}
	return cat
}

// WidgetPhrases returns the task widget's phrases in lang (see Lang); English for others.
func WidgetPhrases(lang string) map[string]string {
	if p, ok := widgetCatalog[lang]; ok {
		return p
	}
	return widgetCatalog["en"]
}
