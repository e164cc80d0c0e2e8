package figmafake

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/figbot/figbot/figma"
)

const (
	maxRenderSide = 1024  // renders are scaled down past this, as Figma caps at 32 MP
	maxRenders    = 10000 // render URLs remembered
)

var renderTypes = map[string]string{
	"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml", "pdf": "application/pdf",
}

// render is what a /render/<id> URL shows.
type render struct {
	key, version, node string
	w, h               int
	format             string
}

// handleImages answers GET /v1/images/:key: a storage URL per known node, null for the
// others, as Figma does for nodes it cannot render.
func (s *Server) handleImages(w http.ResponseWriter, r *http.Request, _ figma.User) {
	f, ok := s.file(r.PathValue("key"))
	if !ok {
		writeErr(w, http.StatusNotFound, "Not found")
		return
	}
	ids, ok := idsParam(w, r)
	if !ok {
		return
	}
	scale, format, ok := renderParams(w, r)
	if !ok {
		return
	}
	if v := r.URL.Query().Get("version"); v != "" {
		f.Version = v
	}

	images := map[string]*string{}
	for _, id := range ids {
		images[id] = nil
		if _, ok := f.node(id); ok {
			u := s.renderURL(f, id, scale, format)
			images[id] = &u
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"err": nil, "images": images})
}

func renderParams(w http.ResponseWriter, r *http.Request) (float64, string, bool) {
	q := r.URL.Query()
	scale := 1.0
	if v := q.Get("scale"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || !(s >= 0.01 && s <= 4) {
			writeErr(w, http.StatusBadRequest,
				"Invalid parameter: scale must be between 0.01 and 4")
			return 0, "", false
		}
		scale = s
	}

	format := q.Get("format")
	if format == "" {
		format = "png"
	}
	if _, ok := renderTypes[format]; !ok {
		writeErr(w, http.StatusBadRequest,
			"Invalid parameter: format must be jpg, png, svg or pdf")
		return 0, "", false
	}
	return scale, format, true
}

// renderURL registers a render and returns its URL: the same inputs give the same URL.
// An empty node is the file's thumbnail.
func (s *Server) renderURL(f File, node string, scale float64, format string) string {
	look := f.Version
	if f.Look != "" {
		look = f.Look
	}
	rd := render{key: f.Key, version: look, node: node, format: format, w: 320, h: 240}
	if n, ok := f.node(node); ok {
		rd.w, rd.h = side(n.W, scale), side(n.H, scale)
	}

	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%d|%d|%s",
		rd.key, rd.version, rd.node, rd.w, rd.h, rd.format))
	h := hex.EncodeToString(sum[:16])
	id := h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.renders) >= maxRenders {
		for k := range s.renders {
			delete(s.renders, k)
			break
		}
	}
	s.renders[id] = rd
	return s.srv.URL + "/render/" + id + "." + format
}

// side is a rendered side in pixels: 100 for unsized nodes, within 1..maxRenderSide.
func side(size, scale float64) int {
	if size <= 0 {
		size = 100
	}
	return int(min(max(math.Round(size*scale), 1), maxRenderSide))
}

// handleRender serves render bytes, like the pre-signed storage URLs: no token needed.
func (s *Server) handleRender(w http.ResponseWriter, r *http.Request) {
	id, _, _ := strings.Cut(r.PathValue("name"), ".")
	s.mu.Lock()
	rd, ok := s.renders[id]
	s.mu.Unlock()
	if !ok {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<Error><Code>NoSuchKey</Code></Error>"))
		return
	}

	b, err := rd.bytes()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", renderTypes[rd.format])
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

const svgPicture = `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d">` +
	`<rect width="100%%" height="100%%" fill="#%06x"/></svg>`

// bytes draws the render: two colours and a stripe offset derived from file, version and
// node, so that a new version gives a different picture.
func (rd render) bytes() ([]byte, error) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(rd.key + "|" + rd.version + "|" + rd.node))
	seed := h.Sum64()

	switch rd.format {
	case "svg":
		return fmt.Appendf(nil, svgPicture, rd.w, rd.h, seed&0xffffff), nil
	case "pdf":
		return fmt.Appendf(nil, "%%PDF-1.4\n%% figmafake %x\n%%%%EOF\n", seed), nil
	}

	img := picture(rd.w, rd.h, seed)
	var b bytes.Buffer
	var err error
	if rd.format == "jpg" {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 80})
	} else {
		err = png.Encode(&b, img)
	}
	return b.Bytes(), err
}

func picture(w, h int, seed uint64) *image.RGBA {
	bg := color.RGBA{uint8(seed), uint8(seed >> 8), uint8(seed >> 16), 255}
	fg := color.RGBA{uint8(seed >> 24), uint8(seed >> 32), uint8(seed >> 40), 255}
	offset := int(seed>>48) % 32

	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := bg
			if (x+y+offset)%32 < 8 {
				c = fg
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}
