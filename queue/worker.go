package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/sirupsen/logrus"
	"golang.org/x/oauth2"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/metrics"
	"github.com/figbot/figbot/store"
)

// Deps are what the task handlers work with.
type Deps struct {
	Store   *store.Store
	Jobs    *Client
	B24     *b24.Client
	B24Opts []b24.Option // options for one-off clients (checking a new install's token)
	Figma   *figma.Client
	Config  configs.Config
	Log     *logrus.Entry
	Metrics *metrics.Metrics
	// Inspector reads queue depths for /status; nil leaves them out.
	Inspector *asynq.Inspector
	// FigmaFactory builds a Figma client for a portal's OAuth token, with the HTTP client and
	// budget of Figma; nil keeps every call on Figma.
	FigmaFactory func(ts oauth2.TokenSource, identity string) *figma.Client
	// HTTPClient calls Figma's token endpoint; nil = a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Handlers does the work of every task type. Its methods are the asynq handlers.
type Handlers struct {
	Deps
}

// Worker runs the handlers on an asynq server, and the periodic jobs.
type Worker struct {
	handlers *Handlers
	server   *asynq.Server
	jobs     *Client
	log      *logrus.Entry
	cfg      configs.Config

	stop chan struct{}
	wg   sync.WaitGroup // the periodic loop
}

// Notice grouping: a lone notice leaves after GroupGracePeriod; a burst is cut at
// groupMaxDelay, so the first digest still reaches the chat within the contract's 5 s.
const (
	groupGrace    = time.Second
	groupMaxDelay = 3 * time.Second
	groupMaxSize  = 40
)

// WorkerOptions tune the worker; zero values take the defaults written beside them.
type WorkerOptions struct {
	Concurrency int           // handler goroutines; 0 = 10
	Poll        time.Duration // how often idle queues and due retries are checked; 0 = 1s
	// ShutdownTimeout is how long running tasks may finish at shutdown before they are put
	// back in their queue for another worker; 0 = 20s.
	ShutdownTimeout time.Duration
}

// NewWorker builds a worker over rdb.
func NewWorker(rdb redis.UniversalClient, d Deps, opt WorkerOptions) *Worker {
	if opt.Concurrency <= 0 {
		opt.Concurrency = 10
	}
	if opt.Poll <= 0 {
		opt.Poll = time.Second
	}
	if opt.ShutdownTimeout <= 0 {
		opt.ShutdownTimeout = 20 * time.Second
	}
	h := &Handlers{Deps: d}
	log := d.Log.WithField("component", "worker")
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              opt.Concurrency,
		TaskCheckInterval:        opt.Poll,
		DelayedTaskCheckInterval: opt.Poll,
		Queues:                   Queues,
		RetryDelayFunc:           RetryDelay,
		IsFailure:                IsFailure,
		ErrorHandler:             asynq.ErrorHandlerFunc(h.reportError),
		Logger:                   asynqLogger{log.WithField("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
		ShutdownTimeout:          opt.ShutdownTimeout,
		GroupGracePeriod:         groupGrace,
		GroupMaxDelay:            groupMaxDelay,
		GroupMaxSize:             groupMaxSize,
		GroupAggregator:          asynq.GroupAggregatorFunc(aggregateNotices),
	})
	return &Worker{handlers: h, server: srv, jobs: d.Jobs, log: log, cfg: d.Config,
		stop: make(chan struct{})}
}

// Mux routes every task type to its handler, wrapped with logging and metrics.
func (h *Handlers) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(h.observe)
	mux.HandleFunc(TypeInstall, h.install)
	mux.HandleFunc(TypeSetup, h.setupPortal)
	mux.HandleFunc(TypeUninstall, h.uninstall)
	mux.HandleFunc(TypeCommand, h.command)
	mux.HandleFunc(TypeJoin, h.join)
	mux.HandleFunc(TypeTaskEvent, h.taskEvent)
	mux.HandleFunc(TypeTaskComment, h.taskComment)
	mux.HandleFunc(TypeNotice, h.notice)
	mux.HandleFunc(TypeDigest, h.digest)
	mux.HandleFunc(TypeTaskNote, h.taskNote)
	mux.HandleFunc(TypeFigmaEvent, h.figmaEvent)
	mux.HandleFunc(TypeFileUpdate, h.fileUpdate)
	mux.HandleFunc(TypeEnsureWebhooks, h.ensureWebhooks)
	mux.HandleFunc(TypeCheckWebhooks, h.checkWebhooks)
	mux.HandleFunc(TypeRefreshAll, h.refreshAll)
	mux.HandleFunc(TypeRefreshFile, h.refreshFile)
	mux.HandleFunc(TypeWidgetRefresh, h.widgetRefresh)
	return mux
}

// Start begins processing tasks and the periodic loop.
func (w *Worker) Start() error {
	if err := w.server.Start(w.handlers.Mux()); err != nil {
		return err
	}
	w.schedule(time.Now()) // before Start returns, so a started worker has claimed its slot
	w.wg.Add(1)
	go w.periodic()
	return nil
}

// Shutdown stops the periodic loop first (so it enqueues nothing more), then the server, which
// lets running tasks finish and puts unfinished ones back in their queue.
func (w *Worker) Shutdown() {
	close(w.stop)
	w.wg.Wait()
	w.server.Shutdown()
}

// periodic enqueues the scheduled jobs. Every worker process runs this loop; the task id holds
// the time slot, so however many workers run, each slot's job is enqueued once.
func (w *Worker) periodic() {
	defer w.wg.Done()
	tick := time.NewTicker(30 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
			w.schedule(time.Now())
		}
	}
}

func (w *Worker) schedule(now time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	jobs := []struct {
		typ   string
		every time.Duration
	}{
		{TypeRefreshAll, w.cfg.Preview.RefreshInterval},
		{TypeCheckWebhooks, time.Hour},
	}
	for _, j := range jobs {
		slot := now.Truncate(j.every).Unix()
		id := j.typ + ":" + time.Unix(slot, 0).UTC().Format(time.RFC3339)
		if _, err := w.jobs.Add(ctx, j.typ, SlotPayload{Slot: slot}, id); err != nil {
			w.log.WithError(err).WithField("job_type", j.typ).Warn("cannot schedule")
		}
	}
}

// RetryDelay waits as long as a rate limit asks (capped at a day, so a task that Figma parks
// for days is looked at again daily), else backs off exponentially; both with jitter.
func RetryDelay(n int, err error, _ *asynq.Task) time.Duration {
	d := time.Duration(1<<min(n, 10)) * time.Second
	if wait, ok := RateLimitWait(err); ok {
		d = wait
	}
	d = min(d, 24*time.Hour)
	jitter := time.Duration(rand.Int64N(int64(d)/5 + 1))
	return d + jitter
}

// RateLimitWait reports how long a rate-limit error asks to wait.
func RateLimitWait(err error) (time.Duration, bool) {
	var fr *figma.RateLimitError
	if errors.As(err, &fr) {
		return max(fr.RetryAfter, time.Second), true
	}
	var br *b24.RateLimitError
	if errors.As(err, &br) {
		return max(br.RetryAfter, time.Second), true
	}
	return 0, false
}

// IsFailure tells asynq that a rate limit is not a failure: the task waits and runs again
// without using up its retries, so no event is lost to a long limit.
func IsFailure(err error) bool {
	_, limited := RateLimitWait(err)
	return !limited
}

// observe logs each task once and records its metrics.
func (h *Handlers) observe(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := permanent(next.ProcessTask(ctx, t))
		result := "ok"
		switch {
		case err == nil:
		case !IsFailure(err):
			result = "parked"
		case errors.Is(err, asynq.SkipRetry):
			result = "failed"
		default:
			result = "retry"
		}
		if h.Metrics != nil {
			h.Metrics.ObserveTask(t.Type(), result, time.Since(start))
		}
		return err
	})
}

// permanent marks errors that no retry can mend, so asynq archives the task at once: Figma's
// 403s (bad token, missing scope, no access, export not allowed) and 404, and B24's refusals
// that need a person (access denied, scope, portal deleted, re-install needed).
func permanent(err error) error {
	if err == nil || errors.Is(err, asynq.SkipRetry) {
		return err
	}
	for _, final := range []error{figma.ErrInvalidToken, figma.ErrMissingScope,
		figma.ErrNoAccess, figma.ErrNotExportable, figma.ErrNotFound, b24.ErrAccessDenied,
		b24.ErrInsufficientScope, b24.ErrPortalDeleted, b24.ErrInvalidGrant,
		b24.ErrMethodNotFound, b24.ErrWrongAuthType} {
		if errors.Is(err, final) {
			return fmt.Errorf("%w (not retried: %w)", err, asynq.SkipRetry)
		}
	}
	return err
}

// reportError logs a task error: a warning while it will be retried, an error once it is not.
func (h *Handlers) reportError(ctx context.Context, t *asynq.Task, err error) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	id, _ := asynq.GetTaskID(ctx)
	entry := h.Log.WithError(err).WithFields(logrus.Fields{"job_type": t.Type(), "job_id": id})
	if wait, ok := RateLimitWait(err); ok {
		entry.WithField("retry_in", wait.String()).Info("rate limited; task parked")
		return
	}
	if errors.Is(err, asynq.SkipRetry) || retried >= maxRetry {
		entry.Error("task failed for good; it is archived (see /monitor/)")
		return
	}
	entry.WithField("retried", retried).Warn("task failed; will retry")
}

// aggregateNotices merges the notices waiting for one chat into one digest task.
func aggregateNotices(group string, tasks []*asynq.Task) *asynq.Task {
	var d DigestPayload
	for _, t := range tasks {
		var n NoticePayload
		if json.Unmarshal(t.Payload(), &n) == nil {
			d.Notices = append(d.Notices, n)
		}
	}
	raw, _ := json.Marshal(d)
	return asynq.NewTask(TypeDigest, raw, asynq.Queue(QueueDefault), asynq.MaxRetry(12))
}

// asynqLogger lets asynq log through logrus.
type asynqLogger struct{ e *logrus.Entry }

func (l asynqLogger) Debug(args ...any) { l.e.Debug(args...) }
func (l asynqLogger) Info(args ...any)  { l.e.Info(args...) }
func (l asynqLogger) Warn(args ...any)  { l.e.Warn(args...) }
func (l asynqLogger) Error(args ...any) { l.e.Error(args...) }
func (l asynqLogger) Fatal(args ...any) { l.e.Fatal(args...) }
