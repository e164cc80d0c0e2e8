// Package web is figbot's HTTP side: the router, middleware, the intake routes that verify and
// enqueue B24 and Figma events, and the pages (install, task widget, previews).
package web

import (
	"crypto/subtle"
	"errors"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/configs"
	"github.com/figbot/figbot/metrics"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// MaxBody is the largest request body the intake reads; larger ones are answered 413.
const MaxBody = 1 << 20

// Deps are what the HTTP side needs.
type Deps struct {
	Config  configs.Config
	Store   *store.Store
	Jobs    *queue.Client
	Metrics *metrics.Metrics
	Log     *logrus.Entry
	Monitor http.Handler // asynqmon, mounted under /monitor/ when credentials are set
}

// Server serves figbot's routes.
type Server struct {
	Deps
	hosts b24.HostPolicy
}

// NewRouter builds the router with every route of the contract.
func NewRouter(d Deps) http.Handler {
	s := &Server{Deps: d, hosts: b24.HostPolicy{Patterns: d.Config.B24.AllowedHosts,
		AllowHTTP: d.Config.B24.AllowHTTP}}
	r := mux.NewRouter()
	r.HandleFunc("/healthz", s.healthz).Methods(http.MethodGet)
	r.HandleFunc("/readyz", s.readyz).Methods(http.MethodGet)
	r.Handle("/metrics", d.Metrics.Handler()).Methods(http.MethodGet)
	r.Handle("/b24/install", s.intake("b24_install", s.b24Install)).Methods(http.MethodPost)
	r.Handle("/b24/events", s.intake("b24_events", s.b24Events)).Methods(http.MethodPost)
	r.Handle("/figma/webhook", s.intake("figma_webhook", s.figmaWebhook)).Methods(http.MethodPost)
	r.HandleFunc(widgetPath, s.widgetPage).Methods(http.MethodPost, http.MethodGet)
	r.HandleFunc(widgetActionPath, s.widgetAction).Methods(http.MethodPost)
	r.HandleFunc("/previews/{id:[0-9a-f]{24}}.png", s.preview).Methods(http.MethodGet)
	if d.Config.Figma.OAuth() {
		r.HandleFunc("/figma/oauth/start", s.figmaOAuthStart).Methods(http.MethodGet)
		r.HandleFunc("/figma/oauth/callback", s.figmaOAuthCallback).Methods(http.MethodGet)
	}
	if d.Monitor != nil && d.Config.Monitor.Enabled() {
		r.PathPrefix("/monitor/").Handler(s.basicAuth(d.Monitor))
	}
	return r
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	_, _ = io.WriteString(w, "ok\n")
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.Ping(r.Context()); err != nil {
		http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// basicAuth guards the monitor; both values are compared in constant time.
func (s *Server) basicAuth(next http.Handler) http.Handler {
	user := []byte(s.Config.Monitor.User)
	pass := []byte(s.Config.Monitor.Password.Value())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		userOK := subtle.ConstantTimeCompare([]byte(u), user) == 1
		passOK := subtle.ConstantTimeCompare([]byte(p), pass) == 1
		if !ok || !userOK || !passOK {
			w.Header().Set("WWW-Authenticate", `Basic realm="figbot monitor"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// outcome is what an intake handler decided: the status, a short reason for the caller, and
// the metric label.
type outcome struct {
	status int
	reason string
	result string
	fields logrus.Fields
	page   *template.Template // when set, the answer is this page instead of the reason
}

func accepted(result string) outcome {
	return outcome{status: http.StatusOK, reason: "ok", result: result}
}

func refuse(status int, result, reason string) outcome {
	return outcome{status: status, reason: reason, result: result}
}

// intake wraps an intake handler: it caps and reads the body, times the answer, counts it, and
// logs one line with the reason when the request is refused.
func (s *Server) intake(route string, h func(*http.Request, []byte) outcome) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		var o outcome
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			o = refuse(http.StatusRequestEntityTooLarge, "too_large", "body over 1 MiB")
		case err != nil:
			o = refuse(http.StatusBadRequest, "bad_request", "cannot read body")
		default:
			o = h(r, body)
		}
		s.Metrics.ObserveIntake(route, o.result, time.Since(start))
		s.logOutcome(route, o)
		if o.page != nil {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(o.status)
			_ = o.page.Execute(w, nil)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(o.status)
		_, _ = io.WriteString(w, o.reason+"\n")
	})
}

func (s *Server) logOutcome(route string, o outcome) {
	entry := s.Log.WithFields(o.fields).WithFields(logrus.Fields{"route": route,
		"result": o.result})
	switch {
	case o.status >= 500:
		entry.WithField("reason", o.reason).Warn("intake unavailable")
	case o.status >= 400:
		entry.WithField("reason", o.reason).Info("intake refused")
	default:
		entry.Debug("intake accepted")
	}
}
