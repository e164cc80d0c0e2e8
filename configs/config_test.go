package configs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func valid() map[string]string {
	return map[string]string{
		"PUBLIC_URL":             "https://bot.example.com/",
		"FIGBOT_SECRET":          strings.Repeat("s", 32),
		"FIGMA_WEBHOOK_PASSCODE": "pass",
		"B24_CLIENT_ID":          "local.1",
		"B24_CLIENT_SECRET":      "secret",
	}
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(env(valid()), ModeAll)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("https://bot.example.com", cfg.HTTP.PublicURL); diff != "" {
		t.Errorf("public url (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([3]int{10, 25, 50}, cfg.Figma.RatePerMin); diff != "" {
		t.Errorf("rates (-want +got):\n%s", diff)
	}
	if cfg.Preview.RefreshInterval != 6*time.Hour || cfg.Preview.FileUpdateWindow != 5*time.Minute {
		t.Errorf("durations: %v %v", cfg.Preview.RefreshInterval, cfg.Preview.FileUpdateWindow)
	}
	if !cfg.Redis.Embedded() || cfg.B24.RateBurst != 50 || cfg.Review.Status != "4" {
		t.Errorf("unexpected defaults: %+v", cfg)
	}
	if len(cfg.B24.AllowedHosts) != 16 || cfg.B24.AllowedHosts[0] != "*.bitrix24.com" {
		t.Errorf("allowed hosts: %v", cfg.B24.AllowedHosts)
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		mode Mode
		set  map[string]string
		drop []string
		want []string
	}{
		{name: "missing required", mode: ModeAll, drop: []string{"PUBLIC_URL", "B24_CLIENT_SECRET"},
			want: []string{"B24_CLIENT_SECRET: required", "PUBLIC_URL: required"}},
		{name: "serve needs redis", mode: ModeServe,
			want: []string{"REDIS_URL: required by serve and worker (or set REDIS_CLUSTER_ADDRS)"}},
		{name: "short secret", mode: ModeAll, set: map[string]string{"FIGBOT_SECRET": "short"},
			want: []string{"FIGBOT_SECRET: must be at least 32 bytes"}},
		{name: "bad rates and duration", mode: ModeAll,
			set: map[string]string{"FIGMA_RATE_PER_MIN": "1,2", "FILE_UPDATE_WINDOW": "soon"},
			want: []string{"FIGMA_RATE_PER_MIN: give one number or three (tiers 1,2,3)",
				`FILE_UPDATE_WINDOW: must be a positive duration such as "6h"`}},
		{name: "bad redis scheme", mode: ModeWorker, set: map[string]string{"REDIS_URL": "http://x"},
			want: []string{"REDIS_URL: scheme must be redis://, rediss:// or redis-sentinel://"}},
		{name: "example placeholder", mode: ModeAll,
			set:  map[string]string{"B24_CLIENT_SECRET": "change-me"},
			want: []string{"B24_CLIENT_SECRET: still the example's placeholder; set a real value"}},
		{name: "demo needs nothing", mode: ModeDemo, drop: []string{"PUBLIC_URL", "FIGBOT_SECRET",
			"FIGMA_WEBHOOK_PASSCODE", "B24_CLIENT_ID", "B24_CLIENT_SECRET"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := valid()
			for k, v := range tc.set {
				m[k] = v
			}
			for _, k := range tc.drop {
				delete(m, k)
			}
			_, err := Load(env(m), tc.mode)
			var got []string
			var cfgErr *Error
			if errors.As(err, &cfgErr) {
				got = cfgErr.Problems
			} else if err != nil {
				t.Fatalf("unexpected error type %T", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	m := valid()
	m["FIGMA_TOKEN"] = "figd_supersecret"
	m["REDIS_URL"] = "redis://:hunter2@127.0.0.1:6379/0"
	cfg, err := Load(env(m), ModeAll)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg.Redacted())
	for _, secret := range []string{"figd_supersecret", "hunter2", strings.Repeat("s", 32)} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q printed", secret)
		}
	}
}
