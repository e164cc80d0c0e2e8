// Package app wires figbot together: Redis, the store, the Figma and B24 clients, the HTTP
// server and the queue worker. cmd/figbot, the demo and the end-to-end tests all start the bot
// through it, so they run the same code.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"golang.org/x/oauth2"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/budget"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/metrics"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
	"github.com/figbot/figbot/web"
)

// Role says which parts of the bot a process runs.
type Role int

// The roles of the command line: all, serve and worker.
const (
	RoleAll Role = iota
	RoleServe
	RoleWorker
)

// Options tune an App beyond the configuration, for tests and the demo.
type Options struct {
	Role        Role
	Concurrency int           // worker goroutines; 0 = 10
	Poll        time.Duration // how often the worker checks idle queues; 0 = 1s (tests: less)
	// ShutdownTimeout bounds how long running tasks may finish at shutdown; 0 = 20s.
	ShutdownTimeout time.Duration
	HTTPClient      *http.Client // for calls to Figma and B24; nil = a client with timeouts
	Listener        net.Listener // where to serve HTTP; nil = listen on cfg.HTTP.Addr
}

// App is one running figbot process.
type App struct {
	Config  configs.Config
	Store   *store.Store
	Jobs    *queue.Client
	Metrics *metrics.Metrics
	Log     *logrus.Entry
	Redis   redis.UniversalClient

	handlers *queue.Handlers
	worker   *queue.Worker
	http     *http.Server
	listener net.Listener
	embedded *miniredis.Miniredis
	monitor  *asynqmon.HTTPHandler

	stop     chan struct{}
	wg       sync.WaitGroup // the embedded Redis clock
	shutdown sync.Once
}

// New builds an App from cfg; nothing runs until Start.
func New(cfg configs.Config, log *logrus.Entry, opt Options) (*App, error) {
	a := &App{Config: cfg, Log: log, Metrics: metrics.New(), stop: make(chan struct{})}
	if err := a.connectRedis(); err != nil {
		return nil, err
	}
	sealer, err := store.NewSealer([]byte(cfg.Secret.Value()))
	if err != nil {
		return nil, err
	}
	a.Store = store.New(a.Redis, sealer)
	a.Jobs = queue.NewClient(a.Redis)
	deps := a.queueDeps(newCountingClient(httpClient(opt.HTTPClient), cfg.Figma.APIURL,
		a.Metrics))
	a.handlers = &queue.Handlers{Deps: deps}
	if opt.Role != RoleServe {
		a.worker = queue.NewWorker(a.Redis, deps, queue.WorkerOptions{
			Concurrency: opt.Concurrency, Poll: opt.Poll, ShutdownTimeout: opt.ShutdownTimeout})
	}
	if opt.Role != RoleWorker {
		a.buildHTTP(opt.Listener)
	}
	return a, nil
}

func httpClient(hc *http.Client) *http.Client {
	if hc != nil {
		return hc
	}
	return &http.Client{Timeout: 75 * time.Second}
}

// connectRedis uses REDIS_CLUSTER_ADDRS, else REDIS_URL, else an embedded in-memory Redis.
func (a *App) connectRedis() error {
	rc := a.Config.Redis
	switch {
	case len(rc.ClusterAddrs) > 0:
		a.Redis = redis.NewClusterClient(&redis.ClusterOptions{Addrs: rc.ClusterAddrs})
	case rc.URL != "":
		opt, err := asynq.ParseRedisURI(rc.URL.Value())
		if err != nil {
			return fmt.Errorf("app: REDIS_URL: %w", err)
		}
		c, ok := opt.MakeRedisClient().(redis.UniversalClient)
		if !ok {
			return errors.New("app: REDIS_URL: unsupported connection type")
		}
		a.Redis = c
	default:
		a.embedded = miniredis.NewMiniRedis()
		if err := a.embedded.StartAddr("127.0.0.1:0"); err != nil {
			return fmt.Errorf("app: embedded redis: %w", err)
		}
		a.Log.Warn("REDIS_URL is unset: using an embedded in-memory Redis; " +
			"nothing survives a restart")
		a.Redis = redis.NewClient(&redis.Options{Addr: a.embedded.Addr()})
	}
	return nil
}

// queueDeps builds the Figma and B24 clients with their shared budgets.
func (a *App) queueDeps(hc *http.Client) queue.Deps {
	cfg := a.Config
	figmaBudget := budget.NewFigma(a.Redis, cfg.Figma.RatePerMin)
	figmaOpts := []figma.Option{figma.WithHTTPClient(hc),
		figma.WithLimiter(figmaBudget, a.Store.Sealer().Fingerprint(cfg.Figma.Token.Value()))}
	// A portal's own Figma account: same HTTP client and budget, its own identity.
	figmaFor := func(ts oauth2.TokenSource, identity string) *figma.Client {
		return figma.NewClient(cfg.Figma.APIURL, figma.WithHTTPClient(hc),
			figma.WithLimiter(figmaBudget, identity), figma.WithTokenSource(ts))
	}
	if cfg.Figma.Token != "" {
		figmaOpts = append(figmaOpts, figma.WithToken(cfg.Figma.Token.Value()))
	}
	oauth := &b24.OAuth{BaseURL: cfg.B24.OAuthURL, ClientID: cfg.B24.ClientID,
		ClientSecret: cfg.B24.ClientSecret.Value(), HTTP: hc}
	creds := store.NewCredentials(a.Store, oauth)
	// The portal's tokens are dead, so nothing can be posted there: the operator is told.
	creds.OnInvalidGrant = func(_ context.Context, member string) {
		a.Log.WithField("member_id", member).
			Error("B24 refused the portal's refresh token: the app must be re-installed there")
	}
	// A portal over its budget parks its task within 250 ms instead of holding a worker that
	// another portal's work needs.
	b24Opts := []b24.Option{b24.WithHTTPClient(hc), b24.WithMaxWait(250 * time.Millisecond),
		b24.WithLimiter(budget.NewB24(a.Redis, cfg.B24.RatePerSec, cfg.B24.RateBurst)),
		b24.WithHostPolicy(b24.HostPolicy{Patterns: cfg.B24.AllowedHosts,
			AllowHTTP: cfg.B24.AllowHTTP})}
	return queue.Deps{Store: a.Store, Jobs: a.Jobs, B24: b24.NewClient(creds, b24Opts...),
		B24Opts: b24Opts, Figma: figma.NewClient(cfg.Figma.APIURL, figmaOpts...), Config: cfg,
		Log: a.Log, Metrics: a.Metrics, Inspector: asynq.NewInspectorFromRedisClient(a.Redis),
		FigmaFactory: figmaFor, HTTPClient: hc}
}

func (a *App) buildHTTP(l net.Listener) {
	if a.Config.Monitor.Enabled() {
		a.monitor = asynqmon.New(asynqmon.Options{RootPath: "/monitor",
			RedisConnOpt: sharedRedis{a.Redis}, ReadOnly: false})
	}
	deps := web.Deps{Config: a.Config, Store: a.Store, Jobs: a.Jobs, Metrics: a.Metrics,
		Log: a.Log.WithField("component", "http")}
	if a.monitor != nil {
		deps.Monitor = a.monitor
	}
	a.http = &http.Server{Handler: web.NewRouter(deps), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	a.listener = l
}

// sharedRedis hands asynqmon the bot's Redis connection instead of opening another.
type sharedRedis struct{ c redis.UniversalClient }

// MakeRedisClient implements asynq.RedisConnOpt.
func (s sharedRedis) MakeRedisClient() any { return s.c }

// Handlers exposes the task handlers (the demo and tests call them through the queue only).
func (a *App) Handlers() *queue.Handlers { return a.handlers }

// Start runs the worker and the HTTP server.
func (a *App) Start() error {
	if a.embedded != nil {
		a.wg.Add(1)
		go a.tickEmbedded()
	}
	if a.worker != nil {
		if err := a.worker.Start(); err != nil {
			return fmt.Errorf("app: worker: %w", err)
		}
	}
	if a.http == nil {
		return nil
	}
	if a.listener == nil {
		l, err := net.Listen("tcp", a.Config.HTTP.Addr)
		if err != nil {
			return fmt.Errorf("app: listen %s: %w", a.Config.HTTP.Addr, err)
		}
		a.listener = l
	}
	go func() {
		if err := a.http.Serve(a.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.WithError(err).Error("http server stopped")
		}
	}()
	a.Log.WithField("addr", a.listener.Addr().String()).Info("figbot listening")
	return nil
}

// tickEmbedded advances the embedded Redis clock: miniredis expires keys only when told, and
// dedup keys, marks and previews all carry TTLs.
func (a *App) tickEmbedded() {
	defer a.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.stop:
			return
		case <-t.C:
			a.embedded.FastForward(time.Second)
		}
	}
}

// URL is where the HTTP server listens, as http://host:port.
func (a *App) URL() string {
	if a.listener == nil {
		return ""
	}
	addr := a.listener.Addr().String()
	if strings.HasPrefix(addr, "[::]") {
		addr = "127.0.0.1" + strings.TrimPrefix(addr, "[::]")
	}
	return "http://" + addr
}

// Shutdown stops in order, once however often it is called: the HTTP intake first (no new
// work), then the worker (running tasks
// finish or go back to the queue), then the monitor, Redis, and the embedded clock.
func (a *App) Shutdown(ctx context.Context) {
	a.shutdown.Do(func() { a.stopAll(ctx) })
}

func (a *App) stopAll(ctx context.Context) {
	if a.http != nil {
		_ = a.http.Shutdown(ctx)
	}
	if a.worker != nil {
		a.worker.Shutdown()
	}
	if a.monitor != nil {
		_ = a.monitor.Close()
	}
	close(a.stop)
	a.wg.Wait()
	_ = a.Redis.Close()
	if a.embedded != nil {
		a.embedded.Close()
	}
}
