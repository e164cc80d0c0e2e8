package app

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/figbot/figbot/metrics"
)

// countingTransport counts every outside call by system and method for /metrics: "b24" with
// the REST method name, "figma" with the API path's shape (keys and ids left out, so the label
// set stays small).
type countingTransport struct {
	next      http.RoundTripper
	figmaHost string
	metrics   *metrics.Metrics
}

func newCountingClient(hc *http.Client, figmaAPI string, m *metrics.Metrics) *http.Client {
	next := hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	host := ""
	if u, err := url.Parse(figmaAPI); err == nil {
		host = u.Host
	}
	c := *hc
	c.Transport = countingTransport{next: next, figmaHost: host, metrics: m}
	return &c
}

// RoundTrip implements http.RoundTripper.
func (t countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	system, method := "download", r.Method // render bytes from a signed storage URL
	path := r.URL.Path
	switch {
	case r.URL.Host == t.figmaHost && !strings.HasPrefix(path, "/render/"):
		system, method = "figma", r.Method+" "+figmaShape(path)
	case strings.Contains(path, "/rest/"):
		system, method = "b24", strings.TrimSuffix(path[strings.LastIndex(path, "/")+1:], ".json")
	case strings.HasPrefix(path, "/oauth/"):
		system, method = "b24", "oauth"
	}
	t.metrics.OutsideCalls.WithLabelValues(system, method).Inc()
	return t.next.RoundTrip(r)
}

// figmaShape keeps the fixed words of a Figma API path: /v1/files/KEY/comments ->
// /v1/files/:id/comments.
func figmaShape(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 1; i < len(parts); i++ {
		switch parts[i-1] {
		case "files", "images", "webhooks", "comments":
			parts[i] = ":id"
		}
	}
	return "/" + strings.Join(parts, "/")
}
