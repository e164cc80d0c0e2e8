package queue

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/figma"
	"github.com/figbot/figbot/store"
)

// TypeWidgetRefresh fills the caches the task widget (TASK_VIEW_TAB) reads: file meta, comment
// counts and a small preview of each linked frame. The widget page never calls Figma itself.
const TypeWidgetRefresh = "widget:refresh"

// WidgetRefreshPayload names the B24 task whose widget data to refresh. Force reads the file's
// current version (dropping the cached meta), recounts the comments and renders again the
// frames that failed; a frame already rendered at the current version is never rendered twice.
type WidgetRefreshPayload struct {
	MemberID string `json:"member_id"`
	TaskID   string `json:"task_id"`
	Force    bool   `json:"force,omitempty"`
}

// Problems the widget refresh records for a file, so that the page can say what to do.
const (
	ProblemUnreachable = "unreachable"  // Figma did not answer or answered 5xx
	ProblemToken       = "token"        // the bot's Figma token is invalid, expired or lacks scope
	ProblemNoAccess    = "no_access"    // the bot's Figma account cannot open the file
	ProblemRateLimited = "rate_limited" // Figma asked to wait; the task is parked
)

// WidgetFile is what the widget shows of one Figma file, as the last refresh found it.
type WidgetFile struct {
	Name          string    `json:"name,omitempty"`
	Version       string    `json:"version,omitempty"`
	LastTouchedAt time.Time `json:"last_touched_at,omitzero"`
	LastTouchedBy string    `json:"last_touched_by,omitempty"` // Figma handle
	CheckedAt     time.Time `json:"checked_at,omitzero"`
	Problem       string    `json:"problem,omitempty"` // one of the Problem constants, or ""
	ProblemAt     time.Time `json:"problem_at,omitzero"`
	// RenderFailed maps a link's node id ("" for a whole-file link) to Figma's reason, for
	// renders that failed at Version.
	RenderFailed map[string]string `json:"render_failed,omitempty"`
}

// CommentCounts counts a file's comment threads: root comments, since a reply belongs to its
// thread; a thread is open until it is resolved.
type CommentCounts struct {
	Total      int       `json:"total"`
	Unresolved int       `json:"unresolved"`
	CheckedAt  time.Time `json:"checked_at"`
}

// WidgetThumb describes a stored widget preview: its size in pixels and in bytes.
type WidgetThumb struct {
	Width  int `json:"w"`
	Height int `json:"h"`
	Bytes  int `json:"bytes"`
}

// Widget cache lifetimes and preview limits. The widget preview is a reduced copy of the
// frame's render, so that the page and its preview stay under 200 KB (issue 7).
const (
	widgetProblemTTL  = 5 * time.Minute
	widgetCommentsTTL = 15 * time.Minute
	widgetMaxPixels   = 40 << 20 // larger renders are not decoded
	widgetThumbBytes  = 160 << 10
)

// widgetThumbWidths are the widths tried, widest first, until the PNG fits widgetThumbBytes;
// 480 px covers the widget's ~320 px row on a 1.5x screen.
var widgetThumbWidths = []int{480, 360, 240}

// WidgetFileCache names the cache entry (Store.CacheGet) holding a file's WidgetFile.
func WidgetFileCache(fileKey string) string { return "widget_file:" + fileKey }

// CommentsCache names the cache entry holding a file's CommentCounts.
func CommentsCache(fileKey string) string { return "comments:" + fileKey }

// WidgetThumbCache names the cache entry holding the WidgetThumb of a widget preview id.
func WidgetThumbCache(id string) string { return "widget_thumb:" + id }

// WidgetThumbID names the widget preview of a link's node ("" for a whole file) at a version;
// its bytes are served by /previews/{id}.png like any preview.
func WidgetThumbID(fileKey, nodeID, version string) string {
	return PreviewID(fileKey, nodeID, version+"\x00widget")
}

// widgetRefresh refreshes the widget data of every file linked to one task. Only Figma
// failures are recorded for the page; a Redis failure is simply retried.
func (h *Handlers) widgetRefresh(ctx context.Context, t *asynq.Task) error {
	var p WidgetRefreshPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	links, err := h.Store.TaskLinks(ctx, p.MemberID, p.TaskID)
	if err != nil {
		return err
	}
	byFile := map[string][]store.Link{}
	var keys []string
	for _, l := range links {
		if byFile[l.FileKey] == nil {
			keys = append(keys, l.FileKey)
		}
		byFile[l.FileKey] = append(byFile[l.FileKey], l)
	}
	for _, key := range keys {
		if err := h.widgetRefreshFile(ctx, key, byFile[key], p.Force); err != nil {
			return err
		}
	}
	h.Log.WithFields(logrus.Fields{"member_id": p.MemberID, "task_id": p.TaskID,
		"job_type": TypeWidgetRefresh, "files": len(keys)}).Info("widget data refreshed")
	return nil
}

// widgetRefreshFile reads one file's meta and comment counts and renders the widget preview
// of each of its links, then stores the file's WidgetFile.
func (h *Handlers) widgetRefreshFile(ctx context.Context, key string, links []store.Link,
	force bool) error {
	var old WidgetFile
	if _, err := h.Store.CacheGet(ctx, WidgetFileCache(key), &old); err != nil {
		return err
	}
	if force {
		if err := h.Store.CacheDelete(ctx, "meta:"+key); err != nil {
			return err
		}
	}
	meta, err := h.fileMetaVia(ctx, h.figmaForFile(ctx, key), key, time.Minute)
	if err != nil {
		return h.widgetTrouble(ctx, key, old, err)
	}
	if err := h.widgetComments(ctx, key, force); err != nil {
		return h.widgetTrouble(ctx, key, old, err)
	}
	wf := WidgetFile{Name: meta.Name, Version: meta.Version, LastTouchedAt: meta.LastTouchedAt,
		CheckedAt: time.Now().UTC(), RenderFailed: map[string]string{}}
	if meta.LastTouchedBy != nil {
		wf.LastTouchedBy = meta.LastTouchedBy.Handle
	}
	for _, l := range links {
		if reason, ok := old.RenderFailed[l.NodeID]; ok && !force && old.Version == wf.Version {
			wf.RenderFailed[l.NodeID] = reason
			continue
		}
		reason, err := h.widgetThumb(ctx, l, wf.Version)
		if err != nil {
			return h.widgetTrouble(ctx, key, old, err)
		}
		if reason != "" {
			wf.RenderFailed[l.NodeID] = reason
		}
	}
	return h.Store.CachePut(ctx, WidgetFileCache(key), wf, h.widgetFileTTL())
}

// widgetFileTTL keeps a file's widget data as long as the scheduled refresh interval: the
// page shows it without asking Figma, and a view after that reads the version again.
func (h *Handlers) widgetFileTTL() time.Duration {
	return max(h.Config.Preview.RefreshInterval, 10*time.Minute)
}

// widgetComments counts a file's comment threads unless fresh counts are cached.
func (h *Handlers) widgetComments(ctx context.Context, key string, force bool) error {
	var cc CommentCounts
	if ok, err := h.Store.CacheGet(ctx, CommentsCache(key), &cc); err != nil || (ok && !force) {
		return err
	}
	comments, err := h.figmaForFile(ctx, key).Comments(ctx, key)
	if err != nil {
		return err
	}
	cc = CommentCounts{CheckedAt: time.Now().UTC()}
	for _, c := range comments {
		if c.ParentID != "" {
			continue
		}
		cc.Total++
		if c.ResolvedAt == nil {
			cc.Unresolved++
		}
	}
	return h.Store.CachePut(ctx, CommentsCache(key), cc, widgetCommentsTTL)
}

// widgetThumb stores the widget preview of a link at version unless it is stored already. A
// render Figma refuses for this node is not an error: its reason is returned for the page.
func (h *Handlers) widgetThumb(ctx context.Context, l store.Link, version string) (string,
	error) {
	id := WidgetThumbID(l.FileKey, l.NodeID, version)
	var th WidgetThumb
	if ok, err := h.Store.CacheGet(ctx, WidgetThumbCache(id), &th); err != nil || ok {
		return "", err
	}
	p, err := h.render(ctx, l.MemberID, l.FileKey, l.NodeID)
	var rerr *figma.RenderError
	switch {
	case errors.As(err, &rerr):
		return rerr.Reason, nil
	case errors.Is(err, asynq.SkipRetry):
		return "no image", nil
	case err != nil:
		return "", err
	}
	small, th, err := shrinkPNG(p.Bytes)
	if err != nil {
		return err.Error(), nil
	}
	if err := h.Store.PutPreview(ctx, id, small, previewTTL); err != nil {
		return "", err
	}
	return "", h.Store.CachePut(ctx, WidgetThumbCache(id), th, previewTTL)
}

// widgetTrouble records a Figma failure on the file's widget data, keeping what was known,
// and decides whether the task runs again: a rate limit parks it, a network failure retries
// it, and a refused token or file stops it until someone acts (the page says who).
func (h *Handlers) widgetTrouble(ctx context.Context, key string, old WidgetFile,
	err error) error {
	problem := widgetProblem(err)
	if problem == "" {
		return err
	}
	old.Problem, old.ProblemAt = problem, time.Now().UTC()
	ttl := h.widgetFileTTL()
	if old.Version == "" {
		ttl = widgetProblemTTL
	}
	if perr := h.Store.CachePut(ctx, WidgetFileCache(key), old, ttl); perr != nil {
		return perr
	}
	h.Log.WithError(err).WithFields(logrus.Fields{"file_key": key, "job_type": TypeWidgetRefresh,
		"problem": problem}).Warn("widget refresh failed")
	switch problem {
	case ProblemToken, ProblemNoAccess:
		return fmt.Errorf("queue: widget refresh %s: %w: %w", key, err, asynq.SkipRetry)
	}
	return err
}

// widgetProblem classifies a failed Figma call; "" means the failure is not Figma's.
func widgetProblem(err error) string {
	var api *figma.APIError
	var uerr *url.Error
	var nerr net.Error
	switch {
	case err == nil:
		return ""
	case isRateLimit(err):
		return ProblemRateLimited
	case errors.Is(err, figma.ErrInvalidToken), errors.Is(err, figma.ErrMissingScope):
		return ProblemToken
	case errors.Is(err, figma.ErrNoAccess), errors.Is(err, figma.ErrNotFound),
		errors.Is(err, figma.ErrNotExportable):
		return ProblemNoAccess
	case errors.As(err, &api) && api.Status >= http.StatusInternalServerError,
		errors.As(err, &uerr), errors.As(err, &nerr), errors.Is(err, figma.ErrTooLarge),
		errors.Is(err, figma.ErrNotImage):
		return ProblemUnreachable
	}
	return ""
}

func isRateLimit(err error) bool {
	_, limited := RateLimitWait(err)
	return limited
}

// shrinkPNG returns a PNG no wider than the first of widgetThumbWidths that fits
// widgetThumbBytes (the smallest when none fits), and its size.
func shrinkPNG(src []byte) ([]byte, WidgetThumb, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(src))
	if err != nil {
		return nil, WidgetThumb{}, errors.New("render is not a PNG")
	}
	if cfg.Width*cfg.Height > widgetMaxPixels {
		return nil, WidgetThumb{}, errors.New("render too large to preview")
	}
	if cfg.Width <= widgetThumbWidths[0] && len(src) <= widgetThumbBytes {
		return src, WidgetThumb{Width: cfg.Width, Height: cfg.Height, Bytes: len(src)}, nil
	}
	img, err := png.Decode(bytes.NewReader(src))
	if err != nil {
		return nil, WidgetThumb{}, errors.New("render is not a PNG")
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	var out []byte
	var th WidgetThumb
	for _, w := range widgetThumbWidths {
		small := boxShrink(rgba, min(w, cfg.Width))
		var buf bytes.Buffer
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&buf, small); err != nil {
			return nil, WidgetThumb{}, fmt.Errorf("encode preview: %w", err)
		}
		out = buf.Bytes()
		th = WidgetThumb{Width: small.Rect.Dx(), Height: small.Rect.Dy(), Bytes: len(out)}
		if len(out) <= widgetThumbBytes {
			break
		}
	}
	return out, th, nil
}

// boxShrink scales src down to width w, each target pixel the average of the source pixels it
// covers (a box filter: enough for a preview, and no module beyond the standard library).
func boxShrink(src *image.RGBA, w int) *image.RGBA {
	sw, sh := src.Rect.Dx(), src.Rect.Dy()
	h := max(1, sh*w/sw)
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := range w {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var sum [4]int
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride+x0*4 : sy*src.Stride+x1*4]
				for i := 0; i < len(row); i += 4 {
					sum[0] += int(row[i])
					sum[1] += int(row[i+1])
					sum[2] += int(row[i+2])
					sum[3] += int(row[i+3])
				}
			}
			n := (y1 - y0) * (x1 - x0)
			o := y*dst.Stride + x*4
			for c := range 4 {
				dst.Pix[o+c] = uint8(sum[c] / n)
			}
		}
	}
	return dst
}
