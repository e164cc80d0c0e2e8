package b24

import (
	"errors"
	"testing"
)

func TestHostPolicyCheck(t *testing.T) {
	cloud := DefaultHostPolicy()
	local := HostPolicy{Patterns: []string{"127.0.0.1", " Portal.Example.COM "}, AllowHTTP: true}
	tests := []struct {
		name     string
		policy   HostPolicy
		endpoint string
		allowed  bool
	}{
		{"cloud portal", cloud, "https://acme.bitrix24.com/rest/", true},
		{"cloud portal, upper case host", cloud, "https://ACME.Bitrix24.DE/rest/", true},
		{"cloud portal with port", cloud, "https://acme.bitrix24.com:443/rest/", true},
		{"suffix alone is not a portal", cloud, "https://bitrix24.com/rest/", false},
		{"look-alike host", cloud, "https://acme.evilbitrix24.com/rest/", false},
		{"suffix inside another host", cloud, "https://acme.bitrix24.com.evil.io/rest/", false},
		{"http refused", cloud, "http://acme.bitrix24.com/rest/", false},
		{"other scheme", cloud, "ftp://acme.bitrix24.com/rest/", false},
		{"user info", cloud, "https://u:p@acme.bitrix24.com/rest/", false},
		{"query", cloud, "https://acme.bitrix24.com/rest/?auth=x", false},
		{"empty query", cloud, "https://acme.bitrix24.com/rest/?", false},
		{"fragment", cloud, "https://acme.bitrix24.com/rest/#x", false},
		{"path without rest", cloud, "https://acme.bitrix24.com/", false},
		{"method in path", cloud, "https://acme.bitrix24.com/rest/app.info", false},
		{"webhook path", cloud, "https://acme.bitrix24.com/rest/1/secret/", false},
		{"unparsable", cloud, "https://acme.bitrix24.com:bad/rest/", false},
		{"empty", cloud, "", false},
		{"exact host with http allowed", local, "http://127.0.0.1:8080/rest/", true},
		{"exact host, pattern case and space", local, "https://portal.example.com/rest/", true},
		{"exact host does not match subdomain", local, "https://a.portal.example.com/rest/",
			false},
		{"zero policy refuses everything", HostPolicy{}, "https://acme.bitrix24.com/rest/",
			false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.endpoint)
			if tt.allowed && err != nil {
				t.Errorf("Check(%q) = %v, want nil", tt.endpoint, err)
			}

			if !tt.allowed && !errors.Is(err, ErrHostNotAllowed) {
				t.Errorf("Check(%q) = %v, want ErrHostNotAllowed", tt.endpoint, err)
			}
		})
	}
}
