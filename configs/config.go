// Package configs reads figbot's configuration from the environment once, at start-up, and
// checks every value before anything else runs. Other packages receive their section through
// their constructors and never read the environment themselves.
package configs

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Mode says which command the configuration is loaded for: the required variables differ.
type Mode int

const (
	// ModeAll runs the HTTP server and the worker in one process; REDIS_URL may be unset.
	ModeAll Mode = iota
	// ModeServe runs the HTTP intake only and needs REDIS_URL.
	ModeServe
	// ModeWorker runs the queue worker and scheduler only and needs REDIS_URL.
	ModeWorker
	// ModeDemo needs no variable at all: the demo fills in its own values.
	ModeDemo
	// ModeTool is for one-shot commands (webhooks, jobs): only what they touch is checked.
	ModeTool
)

// Config is the whole configuration, one section per system.
type Config struct {
	HTTP    HTTP
	Redis   Redis
	Secret  Secret // FIGBOT_SECRET: encrypts stored tokens and signs URLs; 32+ bytes
	Figma   Figma
	B24     B24
	Review  Review
	Preview Preview
	Monitor Monitor
	Log     Log
}

// HTTP is the listener and the public address the outside world reaches the bot at.
type HTTP struct {
	Addr      string // FIGBOT_ADDR; default ":8080"
	PublicURL string // PUBLIC_URL, without a trailing slash; required
}

// Redis says where the queue and the state live.
type Redis struct {
	URL          Secret   // REDIS_URL (may hold a password); "" = embedded (all and demo only)
	ClusterAddrs []string // REDIS_CLUSTER_ADDRS; used instead of URL when set
}

// Embedded reports whether the bot must start its own in-memory Redis.
func (r Redis) Embedded() bool { return r.URL == "" && len(r.ClusterAddrs) == 0 }

// Figma is the Figma REST API and webhook configuration.
type Figma struct {
	APIURL          string // FIGMA_API_URL; default "https://api.figma.com"
	Token           Secret // FIGMA_TOKEN: personal access token
	ClientID        string // FIGMA_CLIENT_ID
	ClientSecret    Secret // FIGMA_CLIENT_SECRET
	WebhookPasscode Secret // FIGMA_WEBHOOK_PASSCODE; required
	TeamID          string // FIGMA_TEAM_ID: default context of `figbot webhooks register`
	// RatePerMin is the budget per Figma identity for tiers 1, 2 and 3 (FIGMA_RATE_PER_MIN).
	RatePerMin [3]int
}

// OAuth reports whether portals connect their own Figma accounts through OAuth.
func (f Figma) OAuth() bool { return f.ClientID != "" && f.ClientSecret != "" }

// B24 is the Bitrix24 application configuration.
type B24 struct {
	ClientID     string   // B24_CLIENT_ID; required
	ClientSecret Secret   // B24_CLIENT_SECRET; required
	OAuthURL     string   // B24_OAUTH_URL; default "https://oauth.bitrix.info"
	AllowedHosts []string // B24_ALLOWED_HOSTS: host names or "*.suffix" patterns
	AllowHTTP    bool     // B24_ALLOW_HTTP; default false
	RatePerSec   float64  // B24_RATE_PER_SEC; default 2
	RateBurst    int      // B24_RATE_BURST; default 50
}

// Review configures the review workflow.
type Review struct {
	Status string // REVIEW_STATUS: task status meaning "under review"; default "4"
}

// Preview configures preview refreshing and FILE_UPDATE coalescing.
type Preview struct {
	RefreshInterval  time.Duration // PREVIEW_REFRESH_INTERVAL; default 6h
	FileUpdateWindow time.Duration // FILE_UPDATE_WINDOW; default 5m
}

// Monitor is the basic-auth pair for the asynq web monitor; empty = not mounted.
type Monitor struct {
	User     string // MONITOR_USER
	Password Secret // MONITOR_PASSWORD
}

// Enabled reports whether the monitor is mounted.
func (m Monitor) Enabled() bool { return m.User != "" && m.Password != "" }

// Log configures logrus.
type Log struct {
	Level  string // LOG_LEVEL; default "info"
	Format string // LOG_FORMAT: "text" (default) or "json"
}

// Secret is a string that never prints: fmt and logs show it redacted.
type Secret string

// String implements fmt.Stringer so that a Secret printed by mistake shows no value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "[redacted]"
}

// GoString keeps %#v from printing the value either.
func (s Secret) GoString() string { return `configs.Secret("[redacted]")` }

// Value returns the secret itself, for the few places that must send it.
func (s Secret) Value() string { return string(s) }

// DefaultAllowedHosts are the B24 cloud domains a portal may live on.
const DefaultAllowedHosts = "*.bitrix24.com,*.bitrix24.ru,*.bitrix24.de,*.bitrix24.eu," +
	"*.bitrix24.by,*.bitrix24.kz,*.bitrix24.ua,*.bitrix24.es,*.bitrix24.fr,*.bitrix24.it," +
	"*.bitrix24.pl,*.bitrix24.com.br,*.bitrix24.in,*.bitrix24.co,*.bitrix24.tech,*.bitrix24.uk"

// Error lists every problem found in the environment; each one names its variable.
type Error struct {
	Problems []string
}

func (e *Error) Error() string {
	return "configuration: " + strings.Join(e.Problems, "; ")
}

// Load reads the configuration through getenv (os.Getenv in main) and validates it for mode.
// The error, when not nil, is an *Error naming every bad or missing variable.
func Load(getenv func(string) string, mode Mode) (Config, error) {
	r := reader{getenv: getenv}
	cfg := Config{
		HTTP: HTTP{
			Addr:      r.str("FIGBOT_ADDR", ":8080"),
			PublicURL: strings.TrimRight(r.str("PUBLIC_URL", ""), "/"),
		},
		Redis: Redis{
			URL:          Secret(r.str("REDIS_URL", "")),
			ClusterAddrs: r.list("REDIS_CLUSTER_ADDRS", ""),
		},
		Secret: Secret(r.str("FIGBOT_SECRET", "")),
		Figma: Figma{
			APIURL:          trimSlash(r.str("FIGMA_API_URL", "https://api.figma.com")),
			Token:           Secret(r.str("FIGMA_TOKEN", "")),
			ClientID:        r.str("FIGMA_CLIENT_ID", ""),
			ClientSecret:    Secret(r.str("FIGMA_CLIENT_SECRET", "")),
			WebhookPasscode: Secret(r.str("FIGMA_WEBHOOK_PASSCODE", "")),
			TeamID:          r.str("FIGMA_TEAM_ID", ""),
			RatePerMin:      r.tiers("FIGMA_RATE_PER_MIN", "10,25,50"),
		},
		B24: B24{
			ClientID:     r.str("B24_CLIENT_ID", ""),
			ClientSecret: Secret(r.str("B24_CLIENT_SECRET", "")),
			OAuthURL:     trimSlash(r.str("B24_OAUTH_URL", "https://oauth.bitrix.info")),
			AllowedHosts: r.list("B24_ALLOWED_HOSTS", DefaultAllowedHosts),
			AllowHTTP:    r.boolean("B24_ALLOW_HTTP", false),
			RatePerSec:   r.positiveFloat("B24_RATE_PER_SEC", 2),
			RateBurst:    r.positiveInt("B24_RATE_BURST", 50),
		},
		Review: Review{Status: r.str("REVIEW_STATUS", "4")},
		Preview: Preview{
			RefreshInterval:  r.duration("PREVIEW_REFRESH_INTERVAL", 6*time.Hour),
			FileUpdateWindow: r.duration("FILE_UPDATE_WINDOW", 5*time.Minute),
		},
		Monitor: Monitor{
			User:     r.str("MONITOR_USER", ""),
			Password: Secret(r.str("MONITOR_PASSWORD", "")),
		},
		Log: Log{Level: r.str("LOG_LEVEL", "info"), Format: r.str("LOG_FORMAT", "text")},
	}
	r.problems = append(r.problems, cfg.validate(mode)...)
	if len(r.problems) > 0 {
		return cfg, &Error{Problems: r.problems}
	}
	return cfg, nil
}

// validate reports the problems that depend on more than one variable or on the mode.
func (c Config) validate(mode Mode) []string {
	var p []string
	needs := mode == ModeAll || mode == ModeServe || mode == ModeWorker
	if needs {
		p = append(p, required(map[string]string{
			"PUBLIC_URL":             c.HTTP.PublicURL,
			"FIGBOT_SECRET":          c.Secret.Value(),
			"FIGMA_WEBHOOK_PASSCODE": c.Figma.WebhookPasscode.Value(),
			"B24_CLIENT_ID":          c.B24.ClientID,
			"B24_CLIENT_SECRET":      c.B24.ClientSecret.Value(),
		})...)
	}
	if (mode == ModeServe || mode == ModeWorker) && c.Redis.Embedded() {
		p = append(p, "REDIS_URL: required by serve and worker (or set REDIS_CLUSTER_ADDRS)")
	}
	for name, v := range map[string]string{"FIGBOT_SECRET": c.Secret.Value(),
		"FIGMA_WEBHOOK_PASSCODE": c.Figma.WebhookPasscode.Value(),
		"B24_CLIENT_SECRET":      c.B24.ClientSecret.Value()} {
		if strings.HasPrefix(v, "change-me") {
			p = append(p, name+": still the example's placeholder; set a real value")
		}
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		p = append(p, "FIGBOT_SECRET: must be at least 32 bytes")
	}
	if c.HTTP.PublicURL != "" {
		if u, err := url.Parse(c.HTTP.PublicURL); err != nil || u.Host == "" ||
			(u.Scheme != "http" && u.Scheme != "https") {
			p = append(p, "PUBLIC_URL: must be an absolute http(s) URL")
		}
	}
	if c.Redis.URL != "" {
		p = append(p, checkRedisURL(c.Redis.URL.Value())...)
	}
	if len(c.Figma.WebhookPasscode) > 100 {
		p = append(p, "FIGMA_WEBHOOK_PASSCODE: Figma accepts at most 100 characters")
	}
	if (c.Figma.ClientID == "") != (c.Figma.ClientSecret == "") {
		p = append(p, "FIGMA_CLIENT_ID, FIGMA_CLIENT_SECRET: set both or neither")
	}
	if !validURL(c.Figma.APIURL) {
		p = append(p, "FIGMA_API_URL: must be an absolute http(s) URL")
	}
	if !validURL(c.B24.OAuthURL) {
		p = append(p, "B24_OAUTH_URL: must be an absolute http(s) URL")
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		p = append(p, `LOG_FORMAT: must be "text" or "json"`)
	}
	if !validLevel(c.Log.Level) {
		p = append(p, "LOG_LEVEL: must be one of panic, fatal, error, warn, info, debug, trace")
	}
	if (c.Monitor.User == "") != (c.Monitor.Password == "") {
		p = append(p, "MONITOR_USER, MONITOR_PASSWORD: set both or neither")
	}
	if _, err := strconv.Atoi(c.Review.Status); err != nil {
		p = append(p, "REVIEW_STATUS: must be a task status number such as 4")
	}
	return p
}

func required(vars map[string]string) []string {
	var p []string
	for _, name := range sortedKeys(vars) {
		if vars[name] == "" {
			p = append(p, name+": required")
		}
	}
	return p
}

func checkRedisURL(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{"REDIS_URL: not a URL"}
	}
	switch u.Scheme {
	case "redis", "rediss", "redis-sentinel":
		return nil
	}
	return []string{"REDIS_URL: scheme must be redis://, rediss:// or redis-sentinel://"}
}

func validURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https")
}

func validLevel(level string) bool {
	switch level {
	case "panic", "fatal", "error", "warn", "warning", "info", "debug", "trace":
		return true
	}
	return false
}

// Redacted returns a copy safe to print: every secret shows as [redacted].
func (c Config) Redacted() string {
	return fmt.Sprintf("addr=%s public_url=%s redis=%s figma_api=%s figma_token=%s "+
		"b24_client_id=%s b24_client_secret=%s secret=%s", c.HTTP.Addr, c.HTTP.PublicURL,
		redactURL(c.Redis.URL.Value()), c.Figma.APIURL, c.Figma.Token, c.B24.ClientID,
		c.B24.ClientSecret, c.Secret)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = url.User("[redacted]")
	return u.String()
}

func trimSlash(u string) string { return strings.TrimRight(u, "/") }
