// Package metrics defines figbot's Prometheus metrics. Each process builds one Metrics with its
// own registry, so tests can run several bots side by side.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds every figbot metric and the registry that serves them.
type Metrics struct {
	registry *prometheus.Registry

	// Intake counts HTTP intake requests by route and result ("ok", "duplicate", "bad_request",
	// "unauthorized", "too_large", "unavailable", "ignored").
	Intake *prometheus.CounterVec
	// IntakeLatency observes how long intake routes take to answer, by route.
	IntakeLatency *prometheus.HistogramVec
	// Tasks counts finished queue tasks by type and result ("ok", "retry", "failed", "parked").
	Tasks *prometheus.CounterVec
	// TaskLatency observes task handler run time by type.
	TaskLatency *prometheus.HistogramVec
	// PasscodeMismatch counts Figma deliveries refused for a wrong passcode.
	PasscodeMismatch prometheus.Counter
	// OutsideCalls counts calls made to Figma and B24, by system and method.
	OutsideCalls *prometheus.CounterVec
}

// New builds the metrics and registers them, with Go runtime and process collectors.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		Intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figbot_intake_requests_total",
			Help: "Intake HTTP requests by route and result.",
		}, []string{"route", "result"}),
		IntakeLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "figbot_intake_duration_seconds",
			Help:    "Time to answer an intake request.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		Tasks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figbot_tasks_total",
			Help: "Queue tasks handled, by type and result.",
		}, []string{"type", "result"}),
		TaskLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "figbot_task_duration_seconds",
			Help:    "Queue task handler run time by type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"type"}),
		PasscodeMismatch: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "figbot_figma_passcode_mismatch_total",
			Help: "Figma webhook deliveries refused for a wrong passcode.",
		}),
		OutsideCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "figbot_outside_calls_total",
			Help: "HTTP calls made to Figma and B24, by system and method.",
		}, []string{"system", "method"}),
	}
	m.registry.MustRegister(m.Intake, m.IntakeLatency, m.Tasks, m.TaskLatency,
		m.PasscodeMismatch, m.OutsideCalls, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// ObserveIntake records one intake answer.
func (m *Metrics) ObserveIntake(route, result string, took time.Duration) {
	m.Intake.WithLabelValues(route, result).Inc()
	m.IntakeLatency.WithLabelValues(route).Observe(took.Seconds())
}

// ObserveTask records one task run.
func (m *Metrics) ObserveTask(typ, result string, took time.Duration) {
	m.Tasks.WithLabelValues(typ, result).Inc()
	m.TaskLatency.WithLabelValues(typ).Observe(took.Seconds())
}
