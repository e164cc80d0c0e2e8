package figmafake

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/figbot/figbot/figma"
)

// Fault is an answer forced onto the next calls that match a Fail rule.
type Fault struct {
	Status int         // HTTP status; 0 means 500
	Body   string      // "" means {"status":<Status>,"err":"<status text>"}
	Header http.Header // extra headers, e.g. Retry-After
	Times  int         // how many calls get it; 0 means 1
}

type faultRule struct {
	method string
	prefix string
	fault  Fault
	left   int
}

// Fail makes the next calls with method ("" = any) whose path starts with pathPrefix
// answer with f, before any token or parameter check. Rules apply in the order set.
func (s *Server) Fail(method, pathPrefix string, f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	left := max(f.Times, 1)

	s.mu.Lock()
	defer s.mu.Unlock()
	rule := &faultRule{method: method, prefix: pathPrefix, fault: f, left: left}
	s.faults = append(s.faults, rule)
}

// takeFault returns the fault for a call, if a rule matches, and uses it up.
func (s *Server) takeFault(method, path string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, rule := range s.faults {
		if (rule.method != "" && rule.method != method) || !strings.HasPrefix(path, rule.prefix) {
			continue
		}
		rule.left--
		if rule.left <= 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return rule.fault, true
	}
	return Fault{}, false
}

func (f Fault) write(w http.ResponseWriter) {
	for k, vs := range f.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.Body == "" {
		writeErr(w, f.Status, http.StatusText(f.Status))
		return
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}

// rateWindow is the span the per-minute limits count over.
const rateWindow = time.Minute

type hitKey struct {
	identity string
	tier     figma.Tier
}

// RateLimit enforces calls per minute per token user and tier, in a sliding window. A
// tier missing from the map, or with a limit of 0 or less, is unlimited; nil turns limits
// off. Refused calls get 429 with Retry-After, X-Figma-Plan-Tier: pro and
// X-Figma-Rate-Limit-Type: high, like Figma's answer for a Full seat on a paid plan.
func (s *Server) RateLimit(perMinute map[figma.Tier]int) {
	limits := make(map[figma.Tier]int, len(perMinute))
	for tier, n := range perMinute {
		limits[tier] = n
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = limits
	s.hits = map[hitKey][]time.Time{}
}

// takeBudget counts a call; it returns how long to wait when the call is over the limit.
func (s *Server) takeBudget(identity string, tier figma.Tier) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	limit := s.limits[tier]
	if limit <= 0 {
		return 0, false
	}

	now := s.now()
	key := hitKey{identity, tier}
	recent := s.hits[key][:0]
	for _, at := range s.hits[key] {
		if now.Sub(at) < rateWindow {
			recent = append(recent, at)
		}
	}

	if len(recent) >= limit {
		s.hits[key] = recent
		return recent[0].Add(rateWindow).Sub(now), true
	}
	s.hits[key] = append(recent, now)
	return 0, false
}

func writeRateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := max(int64((wait+time.Second-1)/time.Second), 1)
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	w.Header().Set("X-Figma-Plan-Tier", "pro")
	w.Header().Set("X-Figma-Rate-Limit-Type", "high")
	writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded")
}
