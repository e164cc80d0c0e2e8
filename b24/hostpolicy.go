package b24

import (
	"fmt"
	"net/url"
	"strings"
)

// HostPolicy says which portal endpoints the client may call. A portal's client_endpoint comes
// from an install event that anyone can post, so without a policy the bot could be made to send
// a portal's token, or its requests, anywhere.
type HostPolicy struct {
	// Patterns are host names ("portal.example.com") or suffix patterns ("*.bitrix24.com",
	// which matches any name ending in ".bitrix24.com" but not "bitrix24.com" itself).
	Patterns []string
	// AllowHTTP allows http:// endpoints (tests on loopback only).
	AllowHTTP bool
}

// DefaultHostPolicy allows the B24 cloud domains, https only (the default of B24_ALLOWED_HOSTS
// in CONTRACT.md).
func DefaultHostPolicy() HostPolicy {
	return HostPolicy{Patterns: []string{
		"*.bitrix24.com", "*.bitrix24.ru", "*.bitrix24.de", "*.bitrix24.eu", "*.bitrix24.by",
		"*.bitrix24.kz", "*.bitrix24.ua", "*.bitrix24.es", "*.bitrix24.fr", "*.bitrix24.it",
		"*.bitrix24.pl", "*.bitrix24.com.br", "*.bitrix24.in", "*.bitrix24.co",
		"*.bitrix24.tech", "*.bitrix24.uk",
	}}
}

// Check returns an error wrapping ErrHostNotAllowed unless endpoint is an https (or, with
// AllowHTTP, http) URL without user info, query or fragment, whose host matches a pattern and
// whose path ends in "/rest/".
func (p HostPolicy) Check(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("%w: unparsable endpoint", ErrHostNotAllowed)
	}

	if reason := p.refusal(u); reason != "" {
		return fmt.Errorf("%w: %s", ErrHostNotAllowed, reason)
	}

	return nil
}

func (p HostPolicy) refusal(u *url.URL) string {
	switch {
	case u.Scheme != "https" && !(u.Scheme == "http" && p.AllowHTTP):
		return fmt.Sprintf("scheme %q", u.Scheme)
	case u.User != nil:
		return "endpoint with user info"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "endpoint with query or fragment"
	case !strings.HasSuffix(u.Path, "/rest/"):
		return "path does not end in /rest/"
	case !p.allows(u.Hostname()):
		return fmt.Sprintf("host %q", u.Hostname())
	}

	return ""
}

func (p HostPolicy) allows(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "" {
		return false
	}

	for _, pat := range p.Patterns {
		pat = strings.ToLower(strings.TrimSpace(pat))
		if suffix, ok := strings.CutPrefix(pat, "*."); ok {
			if suffix != "" && strings.HasSuffix(host, "."+suffix) {
				return true
			}
			continue
		}

		if pat != "" && host == pat {
			return true
		}
	}

	return false
}
