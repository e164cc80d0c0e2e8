package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
	"golang.org/x/oauth2"

	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/queue"
	"github.com/figbot/figbot/store"
)

// figmaTokenTimeout bounds the calls to Figma made inside the callback request. The code
// lives 30 s (reference/figma-facts.md §3), so waiting longer could not help anyway.
const figmaTokenTimeout = 10 * time.Second

// figmaOAuthHTTP is the client for those calls; the intake routes otherwise call nothing.
var figmaOAuthHTTP = &http.Client{Timeout: figmaTokenTimeout}

var figmaOAuthPage = template.Must(template.New("figma_oauth").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>figbot</title></head>
<body><p>{{.Text}}</p>{{if .Hint}}<p>{{.Hint}}</p>{{end}}</body></html>
`))

type figmaOAuthView struct{ Text, Hint string }

// figmaOAuthStart checks the signed link the bot gave a portal admin in chat and sends the
// browser to Figma's consent page with a fresh state bound to the portal.
func (s *Server) figmaOAuthStart(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	member, exp := q.Get("member"), q.Get("exp")
	if reason := s.checkStartLink(member, exp, q.Get("sig")); reason != "" {
		s.figmaOAuthRefuse(w, "figma_oauth_start", member, reason, nil)
		return
	}
	if _, err := s.Store.Portal(r.Context(), member); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.figmaOAuthRefuse(w, "figma_oauth_start", member, "unknown portal", nil)
			return
		}
		s.figmaOAuthUnavailable(w, "figma_oauth_start", member, err)
		return
	}
	state, err := s.Store.NewFigmaState(r.Context(), member)
	if err != nil {
		s.figmaOAuthUnavailable(w, "figma_oauth_start", member, err)
		return
	}
	noStore(w)
	http.Redirect(w, r, queue.FigmaOAuthConfig(s.Config).AuthCodeURL(state), http.StatusFound)
}

// checkStartLink returns why a start link is refused, or "" when it is good: signed by this
// bot, not expired, and not valid for longer than a link the bot makes.
func (s *Server) checkStartLink(member, exp, sig string) string {
	until, err := strconv.ParseInt(exp, 10, 64)
	if member == "" || err != nil ||
		!s.Store.Sealer().Verify(store.FigmaStartMessage(member, exp), sig) {
		return "bad link"
	}
	left := time.Until(time.Unix(until, 0))
	if left <= 0 {
		return "link expired"
	}
	if left > queue.FigmaConnectTTL+time.Minute {
		return "bad link"
	}
	return ""
}

// figmaOAuthCallback takes Figma's answer: it consumes the state, exchanges the code and
// stores the portal's token. Unlike every other route it calls outside and enqueues nothing:
// the code lives 30 s, too short to trust to a queue that may be busy or parked by a rate
// limit. Besides the exchange it asks /v1/me once, as the token answer names no handle.
func (s *Server) figmaOAuthCallback(w http.ResponseWriter, r *http.Request) {
	const route = "figma_oauth_callback"
	q := r.URL.Query()
	member, err := s.Store.TakeFigmaState(r.Context(), q.Get("state"))
	if errors.Is(err, store.ErrNotFound) {
		s.figmaOAuthRefuse(w, route, "", "unknown or used state", nil)
		return
	}
	if err != nil {
		s.figmaOAuthUnavailable(w, route, "", err)
		return
	}
	if q.Get("error") != "" || q.Get("code") == "" {
		s.figmaOAuthRefuse(w, route, member, "access denied", nil)
		return
	}
	tok, err := s.exchangeFigmaCode(r.Context(), q.Get("code"))
	if err != nil {
		s.figmaOAuthRefuse(w, route, member, "exchange failed", err)
		return
	}
	if err := s.Store.SaveFigmaToken(r.Context(), member, tok); err != nil {
		s.figmaOAuthUnavailable(w, route, member, err)
		return
	}
	s.Log.WithFields(logrus.Fields{"member_id": member, "route": route}).Info("figma connected")
	text := "Figma connected as @" + tok.Handle
	if tok.Handle == "" {
		text = "Figma connected."
	}
	s.figmaOAuthAnswer(w, http.StatusOK, figmaOAuthView{Text: text,
		Hint: "You can close this page and go back to Bitrix24."})
}

// exchangeFigmaCode trades the code for a token and finds whose account it is.
func (s *Server) exchangeFigmaCode(ctx context.Context, code string) (store.FigmaToken, error) {
	ctx, cancel := context.WithTimeout(ctx, figmaTokenTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, figmaOAuthHTTP)
	t, err := queue.FigmaOAuthConfig(s.Config).Exchange(ctx, code)
	if err != nil {
		return store.FigmaToken{}, err
	}
	tok := store.FigmaToken{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		Expiry: t.Expiry}
	// Figma's numeric user_id overflows float64 and is deprecated: only the string is read.
	tok.UserID, _ = t.Extra("user_id_string").(string)
	fc := figma.NewClient(s.Config.Figma.APIURL, figma.WithHTTPClient(figmaOAuthHTTP),
		figma.WithTokenSource(oauth2.StaticTokenSource(t)))
	if me, err := fc.Me(ctx); err == nil {
		tok.Handle = me.Handle
		if tok.UserID == "" {
			tok.UserID = me.ID
		}
	}
	return tok, nil
}

// figmaOAuthRefuse answers 400 with a short page; the reason is logged, never a secret:
// an oauth2 error is logged by its RFC 6749 code only, since its text may quote the body.
func (s *Server) figmaOAuthRefuse(w http.ResponseWriter, route, member, reason string,
	err error) {
	entry := s.Log.WithFields(logrus.Fields{"route": route, "reason": reason})
	if member != "" {
		entry = entry.WithField("member_id", member)
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		entry = entry.WithField("oauth_error", re.ErrorCode)
		if re.Response != nil {
			entry = entry.WithField("status", re.Response.StatusCode)
		}
	} else if err != nil {
		entry = entry.WithField("error_kind", "transport")
	}
	entry.Info("figma oauth refused")
	s.figmaOAuthAnswer(w, http.StatusBadRequest, figmaOAuthView{
		Text: "Figma was not connected: " + reason + ".",
		Hint: "Ask the bot for a new link with /status in Bitrix24."})
}

// figmaOAuthUnavailable answers 503 when Redis fails.
func (s *Server) figmaOAuthUnavailable(w http.ResponseWriter, route, member string, err error) {
	s.Log.WithError(err).WithFields(logrus.Fields{"route": route, "member_id": member}).
		Warn("figma oauth unavailable")
	s.figmaOAuthAnswer(w, http.StatusServiceUnavailable, figmaOAuthView{
		Text: "figbot cannot reach its storage right now.", Hint: "Please try again later."})
}

func (s *Server) figmaOAuthAnswer(w http.ResponseWriter, status int, v figmaOAuthView) {
	noStore(w)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = figmaOAuthPage.Execute(w, v)
}

// noStore keeps the answer out of caches and its URL (which holds the code) out of Referer.
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
}
