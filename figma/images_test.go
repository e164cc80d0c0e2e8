package figma

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRenderSample(t *testing.T) {
	c, api := setup(t)
	api.reply("GET /v1/images/K", 200, string(readSample(t, "images-response.json")))

	got, err := c.Render(t.Context(), "K", []string{"2710-7", "2710:5"},
		RenderOptions{Scale: 2, Version: "123"})
	if err != nil {
		t.Fatal(err)
	}

	want := Render{
		URLs: map[string]string{
			"2710:7": "https://s3-us-west-2.amazonaws.com/figma-alpha-api/img/1c12/7bf2/5382af0fbf2908d72167b084836854f3",
			"2710:5": "https://s3-us-west-2.amazonaws.com/figma-alpha-api/img/0882/9cc7/c4731c8d0df07592cd6f7dc0519bb3bb",
		},
		Failed: map[string]error{},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render (-want +got):\n%s", diff)
	}

	q, _ := url.ParseQuery(api.requests()[0].Query)
	wantQ := url.Values{"ids": {"2710:7,2710:5"}, "scale": {"2"}, "format": {"png"},
		"version": {"123"}}
	if diff := cmp.Diff(wantQ, q); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

// renderServer answers GET /v1/images/K. A request holding a heavy node fails with
// status and failWith unless it asks for that node alone at a scale of at most
// heavy[id] (0: it always fails). Node "0:404" gets a null URL.
type renderServer struct {
	heavy    map[string]float64 // node -> largest scale that renders alone; 0 never
	failWith string             // body of the failure
	status   int
}

func (rs renderServer) handler(w http.ResponseWriter, r *http.Request) {
	ids := strings.Split(r.URL.Query().Get("ids"), ",")
	scale, _ := strconv.ParseFloat(r.URL.Query().Get("scale"), 64)
	for _, id := range ids {
		limit, heavy := rs.heavy[id]
		if heavy && (len(ids) > 1 || limit == 0 || scale > limit) {
			w.WriteHeader(rs.status)
			fmt.Fprint(w, rs.failWith)
			return
		}
	}

	images := map[string]*string{}
	for _, id := range ids {
		u := fmt.Sprintf("https://storage.example/%s@%v", id, scale)
		images[id] = &u
		if id == "0:404" {
			images[id] = nil
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"err": nil, "images": images})
}

// renderCalls lists each images call as "ids@scale".
func renderCalls(api *testAPI) []string {
	var out []string
	for _, r := range api.requests() {
		q, _ := url.ParseQuery(r.Query)
		out = append(out, q.Get("ids")+"@"+q.Get("scale"))
	}
	return out
}

func TestRenderRecovery(t *testing.T) {
	timeout := `{"status":400,"err":"Render timeout, try requesting fewer or smaller images"}`
	tests := []struct {
		name       string
		rs         renderServer
		ids        []string
		scale      float64
		wantURLs   []string
		wantFailed map[string]string
		wantCalls  []string
	}{
		{"null url is a node failure",
			renderServer{}, []string{"1:1", "0:404"}, 1,
			[]string{"1:1"}, map[string]string{"0:404": noImage},
			[]string{"1:1,0:404@1"}},
		{"timeout splits and halves the scale",
			renderServer{heavy: map[string]float64{"9:9": 0.5}, failWith: timeout, status: 400},
			[]string{"1:1", "1:2", "9:9", "1:4"}, 1,
			[]string{"1:1", "1:2", "9:9", "1:4"}, map[string]string{},
			[]string{"1:1,1:2,9:9,1:4@1", "1:1,1:2@1", "9:9,1:4@1", "9:9@1", "9:9@0.5", "1:4@1"}},
		{"500 that never renders",
			renderServer{heavy: map[string]float64{"9:9": 0}, failWith: `{"status":500,"err":"x"}`,
				status: 500},
			[]string{"9:9", "1:1"}, 1,
			[]string{"1:1"}, map[string]string{"9:9": "render failed (500 x)"},
			[]string{"9:9,1:1@1", "9:9@1", "9:9@0.5", "1:1@1"}},
		{"no retry below the minimum scale",
			renderServer{heavy: map[string]float64{"9:9": 0}, failWith: timeout, status: 400},
			[]string{"9:9"}, 0.1,
			nil, map[string]string{"9:9": "render failed (400 " +
				"Render timeout, try requesting fewer or smaller images)"},
			[]string{"9:9@0.1"}},
		{"half scale floors at the minimum",
			renderServer{heavy: map[string]float64{"9:9": 0.1}, failWith: timeout, status: 400},
			[]string{"9:9"}, 0.15,
			[]string{"9:9"}, map[string]string{},
			[]string{"9:9@0.15", "9:9@0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.mux.HandleFunc("GET /v1/images/K", tt.rs.handler)

			got, err := c.Render(t.Context(), "K", tt.ids, RenderOptions{Scale: tt.scale})
			if err != nil {
				t.Fatal(err)
			}
			checkRender(t, got, tt.wantURLs, tt.wantFailed)
			if diff := cmp.Diff(tt.wantCalls, renderCalls(api)); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

func checkRender(t *testing.T, got Render, urls []string, failed map[string]string) {
	t.Helper()
	var gotURLs []string
	for _, id := range urls {
		if got.URLs[id] != "" {
			gotURLs = append(gotURLs, id)
		}
	}
	if diff := cmp.Diff(urls, gotURLs); diff != "" || len(got.URLs) != len(urls) {
		t.Errorf("rendered %v, want %v", got.URLs, urls)
	}

	gotFailed := map[string]string{}
	for id, err := range got.Failed {
		var re *RenderError
		if !errors.As(err, &re) || re.NodeID != id {
			t.Errorf("Failed[%s] = %v, want a *RenderError for it", id, err)
			continue
		}
		gotFailed[id] = re.Reason
	}
	if diff := cmp.Diff(failed, gotFailed); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestRenderBatches(t *testing.T) {
	c, api := setup(t)
	api.mux.HandleFunc("GET /v1/images/K", renderServer{}.handler)

	var ids []string
	for i := range 120 {
		ids = append(ids, fmt.Sprintf("1:%d", i))
	}
	got, err := c.Render(t.Context(), "K", ids, RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}

	if len(got.URLs) != 120 || len(got.Failed) != 0 {
		t.Errorf("rendered %d, failed %d; want 120, 0", len(got.URLs), len(got.Failed))
	}
	var sizes []int
	for _, call := range renderCalls(api) {
		ids, _, _ := strings.Cut(call, "@")
		sizes = append(sizes, len(strings.Split(ids, ",")))
	}
	if diff := cmp.Diff([]int{50, 50, 20}, sizes); diff != "" {
		t.Errorf("batch sizes (-want +got):\n%s", diff)
	}
}

func TestRenderErrors(t *testing.T) {
	tests := []struct {
		name      string
		opt       RenderOptions
		status    int
		body      string
		want      error
		wantCalls int
	}{
		{"forbidden fails the call", RenderOptions{}, 403, `{"status":403,"err":"Invalid token"}`,
			ErrInvalidToken, 1},
		{"other 400 fails the call", RenderOptions{}, 400, `{"status":400,"err":"Invalid ids"}`,
			ErrBadRequest, 1},
		{"scale too big", RenderOptions{Scale: 5}, 200, `{}`, nil, 0},
		{"scale too small", RenderOptions{Scale: 0.001}, 200, `{}`, nil, 0},
		{"format", RenderOptions{Format: "gif"}, 200, `{}`, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, api := setup(t)
			api.reply("GET /v1/images/K", tt.status, tt.body)

			_, err := c.Render(t.Context(), "K", []string{"1:1", "1:2"}, tt.opt)
			if err == nil || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("Render() = %v, want %v", err, tt.want)
			}
			if n := len(api.requests()); n != tt.wantCalls {
				t.Errorf("%d calls, want %d", n, tt.wantCalls)
			}
		})
	}
}

func pngBytes(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewRGBA(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const signedQuery = "X-Amz-Signature=very-secret-signature"

func TestDownload(t *testing.T) {
	img := pngBytes(t)
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 20)...)
	tests := []struct {
		name    string
		status  int
		body    []byte
		chunked bool
		limit   int64
		want    []byte
		wantErr error
	}{
		{"png", 200, img, false, 0, img, nil},
		{"jpeg", 200, jpeg, false, 0, jpeg, nil},
		{"declared too large", 200, img, false, 10, nil, ErrTooLarge},
		{"streamed too large", 200, img, true, 10, nil, ErrTooLarge},
		{"not an image", 200, []byte("<html>expired</html>"), false, 0, nil, ErrNotImage},
		{"storage refuses", 403, []byte("<Error>AccessDenied</Error>"), false, 0, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got http.Header
			storage := httptest.NewServer(http.HandlerFunc(
				func(w http.ResponseWriter, r *http.Request) {
					got = r.Header.Clone()
					if tt.chunked {
						w.Header().Set("Transfer-Encoding", "chunked")
					}
					w.WriteHeader(tt.status)
					_, _ = w.Write(tt.body)
				}))
			defer storage.Close()
			lim := &fakeLimiter{}
			c, _ := setup(t, WithLimiter(lim, "pat:1"))

			b, err := c.Download(t.Context(), storage.URL+"/img/1?"+signedQuery, tt.limit)
			checkDownload(t, b, err, tt.want, tt.wantErr)
			if got.Get("X-Figma-Token") != "" || got.Get("Authorization") != "" {
				t.Errorf("download sent credentials: %v", got)
			}
			if n := len(lim.recorded()); n != 0 {
				t.Errorf("download took %d units of API budget", n)
			}
		})
	}
}

func checkDownload(t *testing.T, got []byte, err error, want []byte, wantErr error) {
	t.Helper()
	if want != nil {
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got %d bytes, want %d", len(got), len(want))
		}
		return
	}
	if err == nil || (wantErr != nil && !errors.Is(err, wantErr)) {
		t.Fatalf("Download() = %v, want %v", err, wantErr)
	}
	if strings.Contains(err.Error(), "very-secret") {
		t.Errorf("error %q leaks the URL signature", err)
	}
}

func TestDownloadTransportError(t *testing.T) {
	storage := httptest.NewServer(http.NotFoundHandler())
	u := storage.URL + "/img/1?" + signedQuery
	storage.Close()
	c, _ := setup(t)

	_, err := c.Download(t.Context(), u, 0)
	if err == nil {
		t.Fatal("no error from a closed server")
	}
	if strings.Contains(err.Error(), "very-secret") {
		t.Errorf("error %q leaks the URL signature", err)
	}
}
