package store

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/figbot/figbot/b24"
)

func newTestStore(t *testing.T) (*Store, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	sealer, err := NewSealer([]byte(strings.Repeat("x", 32)))
	if err != nil {
		t.Fatal(err)
	}
	return New(rdb, sealer), mr
}

func TestPortalTokensEncryptedAtRest(t *testing.T) {
	s, mr := newTestStore(t)
	p := Portal{MemberID: "m1", Domain: "a.bitrix24.com", ClientEndpoint: "https://a/rest/",
		AccessToken: "ACCESS-SECRET", RefreshToken: "REFRESH-SECRET", ApplicationToken: "APP-SECRET",
		Expires: time.Unix(2000000000, 0), Commands: map[string]string{"link": "99"}}
	if err := s.SavePortal(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	for _, k := range mr.Keys() {
		if mr.Type(k) != "hash" {
			continue
		}
		fields, _ := mr.HKeys(k)
		for _, f := range fields {
			v := mr.HGet(k, f)
			if strings.Contains(v, "SECRET") {
				t.Errorf("%s %s holds a plain token", k, f)
			}
		}
	}
	got, err := s.Portal(t.Context(), "m1")
	if err != nil {
		t.Fatal(err)
	}
	got.InstalledAt, got.RefreshedAt = time.Time{}, time.Time{}
	if diff := cmp.Diff(p, got); diff != "" {
		t.Errorf("portal round trip (-want +got):\n%s", diff)
	}
}

func TestSealerRejectsTampering(t *testing.T) {
	s, _ := newTestStore(t)
	sealed := s.sealer.Seal("token")
	bad := sealed[:len(sealed)-2] + "AA"
	if _, err := s.sealer.Open(bad); err != ErrDecrypt {
		t.Errorf("Open(tampered) = %v, want ErrDecrypt", err)
	}
	other, _ := NewSealer([]byte(strings.Repeat("y", 32)))
	if _, err := other.Open(sealed); err != ErrDecrypt {
		t.Errorf("Open with another secret = %v, want ErrDecrypt", err)
	}
}

func TestLinksIndexAndSubscriptions(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	l := Link{MemberID: "m1", DialogID: "chat1", FileKey: "F1", NodeID: "1:2", URL: "u"}
	for i, want := range []bool{true, false} {
		added, err := s.AddChatLink(ctx, l)
		if err != nil || added != want {
			t.Fatalf("add #%d = %v, %v; want %v", i, added, err, want)
		}
	}
	kinds, _ := s.Subscriptions(ctx, "m1", "chat1")
	if diff := cmp.Diff([]string{"comments", "versions"}, kinds); diff != "" {
		t.Errorf("default kinds (-want +got):\n%s", diff)
	}
	if err := s.SetSubscriptions(ctx, "m1", "chat1", nil); err != nil {
		t.Fatal(err)
	}
	l2 := l
	l2.NodeID = "3:4"
	if _, err := s.AddChatLink(ctx, l2); err != nil {
		t.Fatal(err)
	}
	if kinds, _ := s.Subscriptions(ctx, "m1", "chat1"); len(kinds) != 0 {
		t.Errorf("'none' was overwritten by defaults: %v", kinds)
	}
	chats, _ := s.FileChats(ctx, "F1")
	if diff := cmp.Diff([]ChatRef{{"m1", "chat1"}}, chats); diff != "" {
		t.Errorf("file chats (-want +got):\n%s", diff)
	}
	if _, err := s.RemoveChatLink(ctx, "m1", "chat1", l.ID()); err != nil {
		t.Fatal(err)
	}
	if chats, _ := s.FileChats(ctx, "F1"); len(chats) != 1 {
		t.Errorf("chat left the file index while another link names the file: %v", chats)
	}
	if _, err := s.RemoveChatLink(ctx, "m1", "chat1", l2.ID()); err != nil {
		t.Fatal(err)
	}
	if chats, _ := s.FileChats(ctx, "F1"); len(chats) != 0 {
		t.Errorf("file index keeps a chat with no link: %v", chats)
	}
}

func TestTaskLinksReplaceUpdatesIndex(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	a := Link{MemberID: "m1", TaskID: "7", FileKey: "A"}
	b := Link{MemberID: "m1", TaskID: "7", FileKey: "B"}
	if err := s.SetTaskLinks(ctx, "m1", "7", []Link{a}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTaskLinks(ctx, "m1", "7", []Link{b}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FileTasks(ctx, "A"); len(got) != 0 {
		t.Errorf("changed field kept the old file: %v", got)
	}
	if got, _ := s.FileTasks(ctx, "B"); len(got) != 1 {
		t.Errorf("new file not indexed: %v", got)
	}
}

func TestSwapTaskStatusOnceForRepeatedUpdate(t *testing.T) {
	s, _ := newTestStore(t)
	prev := []string{}
	for _, st := range []string{"3", "4", "4"} {
		p, err := s.SwapTaskStatus(t.Context(), "m1", "7", st)
		if err != nil {
			t.Fatal(err)
		}
		prev = append(prev, p)
	}
	if diff := cmp.Diff([]string{"", "3", "4"}, prev); diff != "" {
		t.Errorf("previous statuses (-want +got):\n%s", diff)
	}
}

// countingRefresher plays the B24 OAuth server: each refresh spends the old refresh token.
type countingRefresher struct {
	calls atomic.Int32
}

func (r *countingRefresher) Refresh(ctx context.Context, refresh string) (b24.Token, error) {
	n := r.calls.Add(1)
	time.Sleep(30 * time.Millisecond) // a slow OAuth server widens the race window
	return b24.Token{AccessToken: "access-" + string(rune('0'+n)), RefreshToken: "refresh-new",
		Expires: time.Now().Add(time.Hour)}, nil
}

// Two processes (two Credentials over one Redis) see expired_token at once: one refresh.
func TestRefreshRaceRefreshesOnce(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	stale := Portal{MemberID: "m1", ClientEndpoint: "https://a/rest/", AccessToken: "old",
		RefreshToken: "refresh-old", ApplicationToken: "app"}
	if err := s.SavePortal(ctx, stale); err != nil {
		t.Fatal(err)
	}
	r := &countingRefresher{}
	procs := []*Credentials{NewCredentials(s, r), NewCredentials(s, r)}
	var wg sync.WaitGroup
	got := make([]string, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := procs[i%2].Refresh(ctx, "m1", toCredentials(stale))
			if err != nil {
				t.Error(err)
			}
			got[i] = c.AccessToken
		}()
	}
	wg.Wait()
	if n := r.calls.Load(); n != 1 {
		t.Errorf("refreshed %d times, want 1", n)
	}
	for _, tok := range got {
		if tok != "access-1" {
			t.Errorf("a caller got %q, want the one new token", tok)
		}
	}
}

type refusingRefresher struct{}

func (refusingRefresher) Refresh(context.Context, string) (b24.Token, error) {
	return b24.Token{}, b24.ErrInvalidGrant
}

func TestInvalidGrantMarksReinstallAndTellsOnce(t *testing.T) {
	s, _ := newTestStore(t)
	ctx := t.Context()
	p := Portal{MemberID: "m1", AccessToken: "old", RefreshToken: "r", ApplicationToken: "a"}
	if err := s.SavePortal(ctx, p); err != nil {
		t.Fatal(err)
	}
	told := 0
	c := NewCredentials(s, refusingRefresher{})
	c.OnInvalidGrant = func(context.Context, string) { told++ }
	for range 3 {
		_, _ = c.Refresh(ctx, "m1", toCredentials(p))
	}
	if told != 1 {
		t.Errorf("admin told %d times, want 1", told)
	}
	if _, err := c.Credentials(ctx, "m1"); err == nil {
		t.Error("a portal needing reinstall still hands out credentials")
	}
}
