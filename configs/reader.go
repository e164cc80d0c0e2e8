package configs

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// reader parses variables and collects a problem for each bad value instead of stopping at the
// first one, so that a start-up shows every mistake at once.
type reader struct {
	getenv   func(string) string
	problems []string
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

func (r *reader) list(name, def string) []string {
	var out []string
	for _, part := range strings.Split(r.str(name, def), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

func (r *reader) boolean(name string, def bool) bool {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	v, err := strconv.ParseBool(raw)
	if err != nil {
		r.problems = append(r.problems, name+": must be true or false")
		return def
	}
	return v
}

func (r *reader) positiveInt(name string, def int) int {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v <= 0 {
		r.problems = append(r.problems, name+": must be a positive whole number")
		return def
	}
	return v
}

func (r *reader) positiveFloat(name string, def float64) float64 {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || v <= 0 {
		r.problems = append(r.problems, name+": must be a positive number")
		return def
	}
	return v
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	raw := r.str(name, "")
	if raw == "" {
		return def
	}
	v, err := time.ParseDuration(raw)
	if err != nil || v <= 0 {
		r.problems = append(r.problems, name+`: must be a positive duration such as "6h"`)
		return def
	}
	return v
}

// tiers parses FIGMA_RATE_PER_MIN: three numbers for tiers 1, 2, 3, or one for all.
func (r *reader) tiers(name, def string) [3]int {
	parts := strings.Split(r.str(name, def), ",")
	var out [3]int
	if len(parts) != 1 && len(parts) != 3 {
		r.problems = append(r.problems, name+": give one number or three (tiers 1,2,3)")
		return [3]int{10, 25, 50}
	}
	for i := range out {
		raw := strings.TrimSpace(parts[min(i, len(parts)-1)])
		v, err := strconv.Atoi(raw)
		if err != nil || v <= 0 {
			r.problems = append(r.problems, name+": each value must be a positive whole number")
			return [3]int{10, 25, 50}
		}
		out[i] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
