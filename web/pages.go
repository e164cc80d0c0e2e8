package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/figbot/figbot/store"
)

// preview serves a cached preview image to whoever holds a signed, unexpired URL.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	exp, err := strconv.ParseInt(r.URL.Query().Get("exp"), 10, 64)
	sig := r.URL.Query().Get("sig")
	msg := "preview:" + id + ":" + r.URL.Query().Get("exp")
	if err != nil || !s.Store.Sealer().Verify(msg, sig) {
		http.Error(w, "bad signature", http.StatusForbidden)
		return
	}
	if time.Now().Unix() > exp {
		http.Error(w, "link expired", http.StatusGone)
		return
	}
	png, err := s.Store.Preview(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		http.Error(w, "preview not found", http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	maxAge := strconv.FormatInt(exp-time.Now().Unix(), 10)
	w.Header().Set("Cache-Control", "private, max-age="+maxAge+
		", immutable")
	w.Header().Set("ETag", `"`+id+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(png)
}
