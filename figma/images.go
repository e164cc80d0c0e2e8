package figma

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// RenderOptions tune GET /v1/images. The zero value renders PNG at scale 1 of the
// current version.
type RenderOptions struct {
	Scale   float64 // 0.01 to 4; 0 means 1
	Format  string  // "png", "jpg", "svg" or "pdf"; "" means "png"
	Version string  // a file version id; "" means the current version
}

// Render is the result of rendering nodes: a storage URL per rendered node (valid for
// 30 days, so keep the bytes, not the URL) and a *RenderError per node that failed.
type Render struct {
	URLs   map[string]string
	Failed map[string]error
}

const (
	maxRenderBatch = 50  // ids per images call
	minRetryScale  = 0.1 // a lone failed node is retried once at half scale, not below this
)

var renderFormats = map[string]bool{"png": true, "jpg": true, "svg": true, "pdf": true}

func (o RenderOptions) withDefaults() (RenderOptions, error) {
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.Format == "" {
		o.Format = "png"
	}
	if !(o.Scale >= 0.01 && o.Scale <= 4) {
		return o, fmt.Errorf("scale %v is outside 0.01 to 4", o.Scale)
	}
	if !renderFormats[o.Format] {
		return o, fmt.Errorf("format %q is not png, jpg, svg or pdf", o.Format)
	}
	return o, nil
}

// Render renders nodes of a file to images, 50 ids per call. A node whose URL comes back
// null is a failure of that node. When a batch fails with "render timeout" or a 500, it is
// split in halves and each half retried; a single node that still fails is retried once at
// half the scale (not below 0.1) and then recorded in Failed. Any other error fails the
// whole call.
//
// Figma docs: https://developers.figma.com/docs/rest-api/file-endpoints
func (c *Client) Render(ctx context.Context, key string, ids []string,
	opt RenderOptions) (Render, error) {
	apiIDs, err := checkNodeArgs(key, ids)
	if err == nil {
		opt, err = opt.withDefaults()
	}
	if err != nil {
		return Render{}, fmt.Errorf("figma: render: %w", err)
	}

	out := Render{URLs: map[string]string{}, Failed: map[string]error{}}
	for batch := range slicesChunk(apiIDs, maxRenderBatch) {
		if err := c.renderBatch(ctx, key, batch, opt, out); err != nil {
			return Render{}, fmt.Errorf("figma: render: %w", err)
		}
	}
	return out, nil
}

// renderBatch renders ids into out, splitting the batch on render failures. The recursion
// depth is bounded by log2(maxRenderBatch).
func (c *Client) renderBatch(ctx context.Context, key string, ids []string,
	opt RenderOptions, out Render) error {
	urls, err := c.images(ctx, key, ids, opt)
	if err == nil {
		record(out, ids, urls)
		return nil
	}
	if !isRenderFailure(err) {
		return err
	}

	if len(ids) == 1 {
		return c.renderSmaller(ctx, key, ids[0], opt, out, err)
	}
	half := len(ids) / 2
	if err := c.renderBatch(ctx, key, ids[:half], opt, out); err != nil {
		return err
	}
	return c.renderBatch(ctx, key, ids[half:], opt, out)
}

// renderSmaller retries one node once at half the scale, after cause made it fail.
func (c *Client) renderSmaller(ctx context.Context, key, id string, opt RenderOptions,
	out Render, cause error) error {
	smaller := opt
	smaller.Scale = max(opt.Scale/2, minRetryScale)
	if smaller.Scale >= opt.Scale {
		out.Failed[id] = &RenderError{NodeID: id, Reason: failureReason(cause)}
		return nil
	}

	urls, err := c.images(ctx, key, []string{id}, smaller)
	switch {
	case err == nil:
		record(out, []string{id}, urls)
	case isRenderFailure(err):
		out.Failed[id] = &RenderError{NodeID: id, Reason: failureReason(err)}
	default:
		return err
	}
	return nil
}

func failureReason(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("render failed (%d %s)", ae.Status, ae.Message)
	}
	return "render failed"
}

// noImage is the reason for a node whose URL came back null.
const noImage = "no image: node missing or not renderable"

// record files each requested id under URLs or, when Figma gave no URL, under Failed.
func record(out Render, ids []string, urls map[string]*string) {
	for _, id := range ids {
		if u := urls[id]; u != nil && *u != "" {
			out.URLs[id] = *u
			continue
		}
		out.Failed[id] = &RenderError{NodeID: id, Reason: noImage}
	}
}

type imagesResponse struct {
	Images map[string]*string `json:"images"`
}

// images is one GET /v1/images/:key call.
func (c *Client) images(ctx context.Context, key string, ids []string,
	opt RenderOptions) (map[string]*string, error) {
	q := url.Values{
		"ids":    {strings.Join(ids, ",")},
		"scale":  {strconv.FormatFloat(opt.Scale, 'f', -1, 64)},
		"format": {opt.Format},
	}
	if opt.Version != "" {
		q.Set("version", opt.Version)
	}

	var r imagesResponse
	path := "/v1/images/" + escape(key)
	if err := c.call(ctx, Tier1, http.MethodGet, path, q, nil, &r); err != nil {
		return nil, err
	}
	return r.Images, nil
}

// slicesChunk yields consecutive pieces of s of at most n elements.
func slicesChunk(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// defaultMaxDownload applies when Download is given no positive limit.
const defaultMaxDownload = 20 << 20

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xFF, 0xD8, 0xFF}
)

// Download fetches a render URL and returns the image bytes. The URL is pre-signed
// storage, so the request carries no Figma credentials and takes no rate budget. Bodies over
// limit bytes (default 20 MiB when limit <= 0) fail with ErrTooLarge; anything but PNG or JPEG
// fails with ErrNotImage. Errors never include the URL's query, which is its signature.
func (c *Client) Download(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = defaultMaxDownload
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("figma: download %s: invalid url", redactURL(rawURL))
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("figma: download: %w", scrubURLError(err))
	}
	defer drainClose(resp.Body)

	b, err := downloadBody(resp, limit)
	if err != nil {
		return nil, fmt.Errorf("figma: download %s: %w", redactURL(rawURL), err)
	}
	return b, nil
}

func downloadBody(resp *http.Response, limit int64) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{
			Status:  resp.StatusCode,
			Message: http.StatusText(resp.StatusCode),
			Method:  http.MethodGet,
			Path:    resp.Request.URL.Path,
		}
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, resp.ContentLength, limit)
	}

	b, err := readLimited(resp.Body, limit)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(b, pngMagic) && !bytes.HasPrefix(b, jpegMagic) {
		return nil, ErrNotImage
	}
	return b, nil
}
