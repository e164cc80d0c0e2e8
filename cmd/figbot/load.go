package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// Bounds of `figbot load`: a run never sends more than maxLoadCount requests, never lasts
// longer than maxLoadDuration of sending, and waits at most loadRequestTimeout per request.
const (
	maxLoadCount       = 200_000
	maxLoadDuration    = 2 * time.Minute
	maxLoadRate        = 20_000
	loadRequestTimeout = 5 * time.Second
	loadBaselineQueue  = "figbot-load-baseline"
)

// loadOptions are the flags of `figbot load`.
type loadOptions struct {
	target      string
	kind        string
	rate        int
	duration    time.Duration
	count       int
	concurrency int
	baseline    bool
}

// loadCmd drives a running bot's intake routes at a fixed rate with valid deliveries, then
// the same payloads through a bare asynq enqueue, and prints rps and latency percentiles.
// It starts nothing: the bot must run already, on the REDIS_URL given here.
func loadCmd(args []string, stdout, stderr io.Writer) int {
	o, ok := parseLoadFlags(args, stderr)
	if !ok {
		return exitError
	}
	cfg, ok := loadConfig(configs.ModeTool, stderr)
	if !ok {
		return exitConfig
	}
	rdb, err := loadRedis(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "figbot: bad configuration:", err)
		return exitConfig
	}
	defer rdb.Close()
	if err := checkLoopback(o.target); err != nil {
		fmt.Fprintln(stderr, "figbot: load:", err)
		return exitError
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*maxLoadDuration)
	defer cancel()
	return runLoad(ctx, o, cfg, rdb, stdout, stderr)
}

func parseLoadFlags(args []string, stderr io.Writer) (loadOptions, bool) {
	var o loadOptions
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.target, "url", "http://127.0.0.1:8080", "the running bot (loopback only)")
	fs.StringVar(&o.kind, "kind", "figma", "figma, b24 or mix")
	fs.IntVar(&o.rate, "rate", 1000, "requests per second")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long to send")
	fs.IntVar(&o.count, "count", 0, "requests to send (0 = rate x duration)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "requests in flight at most")
	fs.BoolVar(&o.baseline, "baseline", true, "also measure a bare asynq enqueue")
	if err := fs.Parse(args); err != nil {
		return o, false
	}
	if o.count == 0 {
		o.count = int(float64(o.rate) * o.duration.Seconds())
	}
	switch {
	case o.kind != "figma" && o.kind != "b24" && o.kind != "mix":
		fmt.Fprintln(stderr, "figbot: load: --kind is figma, b24 or mix")
	case o.rate < 1 || o.rate > maxLoadRate:
		fmt.Fprintf(stderr, "figbot: load: --rate must be 1..%d\n", maxLoadRate)
	case o.count < 1 || o.count > maxLoadCount:
		fmt.Fprintf(stderr, "figbot: load: --count must be 1..%d\n", maxLoadCount)
	case o.duration > maxLoadDuration || time.Duration(o.count)*time.Second/
		time.Duration(o.rate) > maxLoadDuration:
		fmt.Fprintf(stderr, "figbot: load: a run sends for %s at most\n", maxLoadDuration)
	case o.concurrency < 1 || o.concurrency > 1024:
		fmt.Fprintln(stderr, "figbot: load: --concurrency must be 1..1024")
	default:
		return o, true
	}
	return o, false
}

// loadRedis connects to REDIS_URL, which must be on loopback: the baseline writes to it.
func loadRedis(cfg configs.Config) (redis.UniversalClient, error) {
	if cfg.Redis.URL == "" {
		return nil, errors.New("REDIS_URL: required by load (the bot's Redis)")
	}
	opt, err := redis.ParseURL(cfg.Redis.URL.Value())
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	if err := checkLoopback("redis://" + opt.Addr); err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return redis.NewClient(opt), nil
}

// checkLoopback refuses any host but 127.0.0.0/8, ::1 and localhost.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q is not a URL", raw)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip != nil && ip.IsLoopback()) || host == "localhost" {
		return nil
	}
	return fmt.Errorf("host %q is not loopback; load runs against this machine only", host)
}

func runLoad(ctx context.Context, o loadOptions, cfg configs.Config, rdb redis.UniversalClient,
	stdout, stderr io.Writer) int {
	gen, cleanup, err := newLoadGen(ctx, o, cfg, rdb)
	if err != nil {
		fmt.Fprintln(stderr, "figbot: load:", err)
		return exitError
	}
	defer cleanup()
	fmt.Fprintf(stdout, "figbot load: %d %s requests at %d/s, %d in flight at most, to %s\n",
		o.count, o.kind, o.rate, o.concurrency, o.target)
	hc := &http.Client{Timeout: loadRequestTimeout, Transport: &http.Transport{
		MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency}}
	intake := pace(ctx, o, func(ctx context.Context, n int) error {
		return gen.send(ctx, hc, o.target, n)
	})
	printLoad(stdout, "intake (HTTP, verify, enqueue)", intake)
	if !o.baseline {
		return loadExit(intake)
	}
	bare := asynq.NewClientFromRedisClient(rdb)
	base := pace(ctx, o, func(ctx context.Context, n int) error {
		return gen.enqueue(ctx, bare, n)
	})
	printLoad(stdout, "bare asynq enqueue", base)
	if base.p50 > 0 && base.p99 > 0 {
		fmt.Fprintf(stdout, "intake over bare enqueue: p50 %.1fx, p99 %.1fx\n",
			float64(intake.p50)/float64(base.p50), float64(intake.p99)/float64(base.p99))
	}
	return loadExit(intake)
}

func loadExit(r loadResult) int {
	if r.failed > 0 {
		return exitError
	}
	return exitOK
}

// loadResult is what one paced run measured.
type loadResult struct {
	sent, failed   int
	elapsed        time.Duration
	p50, p99, pmax time.Duration
	firstErr       string
}

// pace calls do o.count times at o.rate per second from o.concurrency goroutines. Latency is
// counted from the moment a request was due, not when a goroutine was free to send it, so a
// backlog shows in the figures instead of slowing the schedule.
func pace(ctx context.Context, o loadOptions, do func(context.Context, int) error) loadResult {
	due := make(chan time.Time, o.count)
	lat := make([]time.Duration, o.count)
	var next, failed atomic.Int64
	var firstErr sync.Once
	res := loadResult{sent: o.count}
	var wg sync.WaitGroup
	for range o.concurrency {
		wg.Go(func() {
			for at := range due {
				n := int(next.Add(1)) - 1
				if err := do(ctx, n); err != nil {
					failed.Add(1)
					firstErr.Do(func() { res.firstErr = err.Error() })
				}
				lat[n] = time.Since(at)
			}
		})
	}
	start := time.Now()
	interval := time.Second / time.Duration(o.rate)
	for i := range o.count {
		at := start.Add(time.Duration(i) * interval)
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		due <- at
	}
	close(due)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.failed = int(failed.Load())
	slices.Sort(lat)
	res.p50, res.p99, res.pmax = lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1]
	return res
}

func printLoad(w io.Writer, name string, r loadResult) {
	rps := float64(r.sent) / r.elapsed.Seconds()
	fmt.Fprintf(w, "%-32s sent %d, failed %d, %.0f req/s, p50 %s, p99 %s, max %s\n", name,
		r.sent, r.failed, rps, ms(r.p50), ms(r.p99), ms(r.pmax))
	if r.firstErr != "" {
		fmt.Fprintln(w, "  first failure:", r.firstErr)
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + "ms"
}

// loadGen builds the requests: Figma FILE_COMMENT deliveries signed with
// FIGMA_WEBHOOK_PASSCODE, and B24 ONIMCOMMANDADD events of a portal it stores for the run.
type loadGen struct {
	kind     string
	run      string // makes this run's events new to the bot's dedup
	passcode string
	member   string
	appToken string
}

// newLoadGen prepares the generator; for B24 events it stores a portal whose REST endpoint is
// a closed loopback port, so a worker that picks up the commands calls nothing outside.
func newLoadGen(ctx context.Context, o loadOptions, cfg configs.Config,
	rdb redis.UniversalClient) (*loadGen, func(), error) {
	g := &loadGen{kind: o.kind, run: randomHex(6), passcode: cfg.Figma.WebhookPasscode.Value()}
	cleanup := func() { dropBaselineQueue(rdb) }
	if o.kind != "b24" && g.passcode == "" {
		return nil, nil, errors.New("FIGMA_WEBHOOK_PASSCODE: required to sign deliveries")
	}
	if o.kind == "figma" {
		return g, cleanup, nil
	}
	sealer, err := store.NewSealer([]byte(cfg.Secret.Value()))
	if err != nil {
		return nil, nil, fmt.Errorf("FIGBOT_SECRET (the bot's, to store a portal): %w", err)
	}
	st := store.New(rdb, sealer)
	g.member, g.appToken = "figbot-load-"+g.run, randomHex(16)
	err = st.SavePortal(ctx, store.Portal{MemberID: g.member, Domain: "127.0.0.1:9",
		ClientEndpoint: "http://127.0.0.1:9/rest/", AccessToken: randomHex(16),
		RefreshToken: randomHex(16), ApplicationToken: g.appToken,
		Expires: time.Now().Add(time.Hour), InstalledAt: time.Now()})
	if err != nil {
		return nil, nil, fmt.Errorf("store the load portal: %w", err)
	}
	return g, func() {
		dropBaselineQueue(rdb)
		_ = st.DeletePortal(context.Background(), g.member)
	}, nil
}

// dropBaselineQueue removes the baseline's tasks; no worker listens on that queue.
func dropBaselineQueue(rdb redis.UniversalClient) {
	insp := asynq.NewInspectorFromRedisClient(rdb)
	_ = insp.DeleteQueue(loadBaselineQueue, true)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isB24 says whether request n is a B24 event.
func (g *loadGen) isB24(n int) bool {
	return g.kind == "b24" || (g.kind == "mix" && n%2 == 1)
}

func (g *loadGen) send(ctx context.Context, hc *http.Client, target string, n int) error {
	path, ctype, body := "/figma/webhook", "application/json", string(g.figmaBody(n))
	if g.isB24(n) {
		path, ctype, body = "/b24/events", "application/x-www-form-urlencoded", g.b24Body(n)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target+path,
		strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", ctype)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", path, resp.StatusCode)
	}
	return nil
}

// enqueue hands the task the intake would make for request n straight to asynq.
func (g *loadGen) enqueue(ctx context.Context, c *asynq.Client, n int) error {
	typ, payload := queue.TypeFigmaEvent, g.figmaBody(n)
	if g.isB24(n) {
		typ = queue.TypeCommand
		payload, _ = json.Marshal(queue.CommandPayload{MemberID: g.member,
			DialogID: "chat2725", MessageID: g.messageID(n), CommandID: "7",
			Command: "links", UserID: "1269", UserName: "Dana"})
	}
	t := asynq.NewTask(typ, payload, asynq.Queue(loadBaselineQueue), asynq.MaxRetry(12),
		asynq.TaskID(queue.TaskID(typ, "load:"+g.run+":"+strconv.Itoa(n))),
		asynq.Retention(queue.DedupWindow))
	_, err := c.EnqueueContext(ctx, t)
	return err
}

func (g *loadGen) messageID(n int) string { return g.run + strconv.Itoa(n) }

func (g *loadGen) figmaBody(n int) []byte {
	now := time.Now().UTC().Format(time.RFC3339)
	raw, _ := json.Marshal(map[string]any{"event_type": "FILE_COMMENT",
		"passcode": g.passcode, "webhook_id": "load-" + g.run,
		"file_key": "LOADa1b2c3d4e5f6g7h8i9j0", "file_name": "Load test",
		"comment_id": g.messageID(n), "parent_id": "", "order_id": strconv.Itoa(n),
		"timestamp": now, "created_at": now,
		"comment":      []map[string]string{{"text": "Move the button up a little"}},
		"triggered_by": map[string]string{"id": "100000000000000002", "handle": "Dana"}})
	return raw
}

func (g *loadGen) b24Body(n int) string {
	id := g.messageID(n)
	return url.Values{"event": {"ONIMCOMMANDADD"}, "ts": {strconv.FormatInt(
		time.Now().Unix(), 10)}, "auth[member_id]": {g.member},
		"auth[application_token]":   {g.appToken},
		"data[COMMAND][7][COMMAND]": {"links"}, "data[COMMAND][7][COMMAND_ID]": {"7"},
		"data[COMMAND][7][COMMAND_PARAMS]": {""}, "data[COMMAND][7][MESSAGE_ID]": {id},
		"data[COMMAND][7][BOT_ID]": {"1291"}, "data[PARAMS][DIALOG_ID]": {"chat2725"},
		"data[PARAMS][MESSAGE_ID]": {id}, "data[PARAMS][MESSAGE]": {"/links"},
		"data[PARAMS][FROM_USER_ID]": {"1269"}, "data[PARAMS][CHAT_TYPE]": {"C"},
		"data[USER][ID]": {"1269"}, "data[USER][NAME]": {"Dana"}}.Encode()
}
