package app

import (
	"io"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/configs"
)

// The Redis URL forms of the contract build the matching go-redis client (nothing connects
// until a command runs, so no Redis is needed here).
func TestConnectRedisKinds(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"plain", map[string]string{"REDIS_URL": "redis://127.0.0.1:6390/3"}, "*redis.Client"},
		{"tls", map[string]string{"REDIS_URL": "rediss://:pw@127.0.0.1:6390/0"}, "*redis.Client"},
		{"sentinel", map[string]string{
			"REDIS_URL": "redis-sentinel://127.0.0.1:26379,127.0.0.1:26380/0?master=main"},
			"*redis.Client"},
		{"cluster", map[string]string{"REDIS_CLUSTER_ADDRS": "127.0.0.1:7000,127.0.0.1:7001"},
			"*redis.ClusterClient"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"PUBLIC_URL": "http://127.0.0.1:1",
				"FIGBOT_SECRET": strings.Repeat("s", 32), "FIGMA_WEBHOOK_PASSCODE": "p",
				"B24_CLIENT_ID": "id", "B24_CLIENT_SECRET": "secret"}
			for k, v := range tc.env {
				env[k] = v
			}
			cfg, err := configs.Load(func(k string) string { return env[k] }, configs.ModeWorker)
			if err != nil {
				t.Fatal(err)
			}
			log := logrus.New()
			log.SetOutput(io.Discard)
			a := &App{Config: cfg, Log: logrus.NewEntry(log)}
			if err := a.connectRedis(); err != nil {
				t.Fatal(err)
			}
			defer a.Redis.Close()
			got := typeName(a.Redis)
			if got != tc.want {
				t.Errorf("client %s, want %s", got, tc.want)
			}
			if tc.name == "sentinel" {
				opt := a.Redis.(*redis.Client).Options()
				if opt.Addr != "FailoverClient" {
					t.Errorf("sentinel URL built a plain client for %q", opt.Addr)
				}
			}
		})
	}
}

func typeName(c redis.UniversalClient) string {
	switch c.(type) {
	case *redis.ClusterClient:
		return "*redis.ClusterClient"
	case *redis.Client:
		return "*redis.Client"
	}
	return "other"
}
