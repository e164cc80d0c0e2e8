package store

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestFigmaTokenSealedRoundTrip(t *testing.T) {
	s, mr := newTestStore(t)
	want := FigmaToken{AccessToken: "figu_access_secret", RefreshToken: "figur_refresh_secret",
		Expiry: time.Unix(1900000000, 0), UserID: "1234567890123456789", Handle: "ann"}
	if _, err := s.FigmaToken(t.Context(), "m1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before save: err = %v, want ErrNotFound", err)
	}
	if err := s.SaveFigmaToken(t.Context(), "m1", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.FigmaToken(t.Context(), "m1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	fields, err := mr.HKeys(figmaTokenKey("m1"))
	if err != nil || len(fields) != 5 {
		t.Fatalf("hash fields %v, %v", fields, err)
	}
	for _, f := range fields {
		if raw := mr.HGet(figmaTokenKey("m1"), f); strings.Contains(raw, "secret") {
			t.Errorf("field %s holds a plain token", f)
		}
	}
	if err := s.DeleteFigmaToken(t.Context(), "m1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FigmaToken(t.Context(), "m1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: err = %v, want ErrNotFound", err)
	}
}

func TestFigmaStateOnceAndShortLived(t *testing.T) {
	s, mr := newTestStore(t)
	ctx := t.Context()
	state, err := s.NewFigmaState(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(state, "m1.") || len(state) < 30 {
		t.Fatalf("state %q: want m1.<random>", state)
	}
	if ttl := mr.TTL(figmaStateKey("m1", strings.TrimPrefix(state, "m1."))); ttl != FigmaStateTTL {
		t.Errorf("state TTL %s, want %s", ttl, FigmaStateTTL)
	}
	expired, _ := s.NewFigmaState(ctx, "m1")
	mr.FastForward(FigmaStateTTL + time.Second)

	nonce := strings.TrimPrefix(state, "m1.")
	cases := []struct{ name, state, want string }{
		{"expired", expired, "not found"},
		{"other portal", "m2." + nonce, "not found"},
		{"no portal", nonce, "not found"},
		{"empty nonce", "m1.", "not found"},
	}
	state2, _ := s.NewFigmaState(ctx, "m1")
	cases = append(cases, []struct{ name, state, want string }{
		{"first use", state2, "m1"},
		{"second use", state2, "not found"},
	}...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.TakeFigmaState(ctx, tc.state)
			if errors.Is(err, ErrNotFound) {
				got = "not found"
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("take (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFigmaRefreshLockExcludes(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	var inside atomic.Int32
	release := make(chan struct{})
	held := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.WithFigmaRefreshLock(ctx, "m1", time.Second, func() error {
			inside.Add(1)
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	err := s.WithFigmaRefreshLock(ctx, "m1", 100*time.Millisecond, func() error {
		inside.Add(1)
		return nil
	})
	if err == nil || inside.Load() != 1 {
		t.Errorf("second holder: err = %v, ran %d times, want a timeout and 1 run", err,
			inside.Load())
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	last := s.WithFigmaRefreshLock(ctx, "m1", time.Second, func() error { return nil })
	if last != nil {
		t.Errorf("after release: %v", last)
	}
}
