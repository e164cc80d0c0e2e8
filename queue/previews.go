package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/sirupsen/logrus"

	"github.com/figbot/figbot/b24"
	"github.com/figbot/figbot/bot"
	"github.com/figbot/figbot/commands"
	"github.com/figbot/figbot/figma"
)

// Preview images are kept a week and their signed URLs are valid for a day.
const (
	previewTTL     = 7 * 24 * time.Hour
	previewURLLife = 24 * time.Hour
	maxRenderBytes = 4 << 20
	previewScale   = 1
)

// Preview is one rendered frame at one file version.
type Preview struct {
	ID       string // names the bytes in the store: file, node and version
	FileKey  string
	NodeID   string
	Version  string
	FileName string
	URL      string // signed, expiring URL under PUBLIC_URL
	Bytes    []byte
}

// PreviewID names a rendered frame; the same version is never rendered twice.
func PreviewID(fileKey, nodeID, version string) string {
	sum := sha256.Sum256([]byte(fileKey + "\x00" + nodeID + "\x00" + version))
	return hex.EncodeToString(sum[:12])
}

// SignedPreviewURL builds the URL that serves a preview until exp.
func (h *Handlers) SignedPreviewURL(id string, exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	sig := h.Store.Sealer().Sign("preview:" + id + ":" + e)
	return fmt.Sprintf("%s/previews/%s.png?exp=%s&sig=%s", h.Config.HTTP.PublicURL, id, e, sig)
}

// render returns the preview of a frame at the file's current version, rendering it only when
// this version was not rendered before, with the Figma account of the portal (member).
// With no node it renders the file's first page.
func (h *Handlers) render(ctx context.Context, member, fileKey, nodeID string) (Preview,
	error) {
	fc := h.figmaFor(ctx, member)
	meta, err := h.fileMetaVia(ctx, fc, fileKey, time.Minute)
	if err != nil {
		return Preview{}, err
	}
	if nodeID == "" {
		nodeID = "0:1"
	}
	p := Preview{FileKey: fileKey, NodeID: nodeID, Version: meta.Version, FileName: meta.Name,
		ID: PreviewID(fileKey, nodeID, meta.Version)}
	if b, err := h.Store.Preview(ctx, p.ID); err == nil {
		p.Bytes = b
	} else if p.Bytes, err = h.renderBytes(ctx, fc, fileKey, nodeID, meta.Version); err != nil {
		return p, err
	} else if err := h.Store.PutPreview(ctx, p.ID, p.Bytes, previewTTL); err != nil {
		return p, err
	}
	p.URL = h.SignedPreviewURL(p.ID, time.Now().Add(previewURLLife))
	return p, nil
}

// renderBytes asks Figma for a render and downloads it at once: render URLs expire.
func (h *Handlers) renderBytes(ctx context.Context, fc *figma.Client, fileKey, nodeID,
	version string) ([]byte, error) {
	res, err := fc.Render(ctx, fileKey, []string{nodeID},
		figma.RenderOptions{Scale: previewScale, Format: "png", Version: version})
	if err != nil {
		return nil, err
	}
	if ferr := res.Failed[nodeID]; ferr != nil {
		return nil, fmt.Errorf("queue: render %s %s: %w: %w", fileKey, nodeID, ferr,
			asynq.SkipRetry)
	}
	url := res.URLs[nodeID]
	if url == "" {
		return nil, fmt.Errorf("queue: render %s %s: no image: %w", fileKey, nodeID,
			asynq.SkipRetry)
	}
	return fc.Download(ctx, url, maxRenderBytes)
}

// Preview implements commands.Jobs: post a fresh preview of a frame to the chat; with review,
// also its open comments.
func (h *Handlers) Preview(ctx context.Context, l figma.Link, r commands.Request,
	review bool) error {
	p, err := h.render(ctx, r.MemberID, l.FileKey, l.NodeID)
	var rerr *figma.RenderError
	if errors.As(err, &rerr) || errors.Is(err, asynq.SkipRetry) {
		text := bot.T(r.Lang, "preview_failed", bot.Quote(l.FileKey, 60),
			bot.Quote(err.Error(), 200))
		_, perr := h.post(ctx, r.MemberID, r.DialogID, text)
		return perr
	}
	if err != nil {
		return err
	}
	text := previewText(r.Lang, p)
	if review {
		open, err := h.openComments(ctx, r.MemberID, l)
		if err != nil {
			return err
		}
		text += open
	}
	_, err = h.post(ctx, r.MemberID, r.DialogID, text)
	return err
}

func previewText(lang string, p Preview) string {
	name := bot.Quote(p.FileName, 200)
	img := "[IMG SIZE=large]" + p.URL + " [/IMG]"
	return bot.T(lang, "preview", name, bot.Quote(p.Version, 40), img) + "\n" +
		fileLink(lang, p.FileKey, p.NodeID)
}

// openComments lists a frame's unresolved comments for a review message.
func (h *Handlers) openComments(ctx context.Context, member string, l figma.Link) (string,
	error) {
	comments, err := h.figmaFor(ctx, member).Comments(ctx, l.FileKey)
	if err != nil {
		return "", err
	}
	out := ""
	for _, c := range comments {
		if c.ResolvedAt != nil || c.ParentID != "" || (l.NodeID != "" && c.NodeID != l.NodeID) {
			continue
		}
		out += "\n• " + bot.Quote(c.User.Handle, 80) + ": " + bot.Quote(c.Message, 300)
	}
	return out, nil
}

// refreshAll spreads the check of every linked file over the first half of the refresh
// interval, one task per file, so that a portal with many files does not spend the Figma budget
// in one burst. The task ids carry the interval's slot: a file is checked once per slot.
func (h *Handlers) refreshAll(ctx context.Context, t *asynq.Task) error {
	files, err := h.Store.Files(ctx)
	if err != nil || len(files) == 0 {
		return err
	}
	var p SlotPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	interval := h.Config.Preview.RefreshInterval
	step := interval / time.Duration(2*len(files))
	for i, key := range files {
		fp := RefreshFilePayload{FileKey: key}
		id := key + ":" + strconv.FormatInt(p.Slot, 10)
		if _, err := h.Jobs.Add(ctx, TypeRefreshFile, fp, id,
			asynq.ProcessIn(time.Duration(i)*step)); err != nil {
			return err
		}
	}
	h.Log.WithField("files", len(files)).Info("preview refresh scheduled")
	return nil
}

// refreshFile checks one file's version with a cheap meta call (Tier 3) and renders its linked
// frames again only when the version changed since the last check.
func (h *Handlers) refreshFile(ctx context.Context, t *asynq.Task) error {
	var p RefreshFilePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	var last string
	_, _ = h.Store.CacheGet(ctx, "version:"+p.FileKey, &last)
	if err := h.Store.CacheDelete(ctx, "meta:"+p.FileKey); err != nil {
		return err
	}
	meta, err := h.fileMetaVia(ctx, h.figmaForFile(ctx, p.FileKey), p.FileKey, time.Minute)
	if err != nil {
		return err
	}
	if meta.Version == last {
		return nil
	}
	if err := h.renderLinkedFrames(ctx, p.FileKey); err != nil {
		return err
	}
	h.Log.WithFields(logrus.Fields{"file_key": p.FileKey, "version": meta.Version}).
		Info("previews refreshed")
	return h.Store.CachePut(ctx, "version:"+p.FileKey, meta.Version, 0)
}

// renderLinkedFrames renders the linked frames of one file at its new version, and updates the
// preview field of each linked task.
func (h *Handlers) renderLinkedFrames(ctx context.Context, fileKey string) error {
	tasks, err := h.Store.FileTasks(ctx, fileKey)
	if err != nil {
		return err
	}
	for _, tr := range tasks {
		links, err := h.Store.TaskLinks(ctx, tr.MemberID, tr.TaskID)
		if err != nil {
			return err
		}
		for _, l := range links {
			if l.FileKey != fileKey {
				continue
			}
			p, err := h.render(ctx, tr.MemberID, fileKey, l.NodeID)
			if err != nil {
				return err
			}
			if _, err := h.publishPreview(ctx, tr.MemberID, tr.TaskID, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// publishPreview uploads a preview to the portal's Drive, into a folder per project, and writes
// its page link (never the download link, which carries a token) into the task's
// UF_FIGMA_PREVIEW. A frame already uploaded for the task gets a new version of the same file,
// so re-uploads replace instead of piling up. It returns the Drive file.
func (h *Handlers) publishPreview(ctx context.Context, member, task string, p Preview) (b24.File,
	error) {
	fileKey := "drive_file:" + member + ":" + task + ":" + PreviewID(p.FileKey, p.NodeID, "")
	name := fmt.Sprintf("figma-task%s-%s.png", task, PreviewID(p.FileKey, p.NodeID, "")[:8])
	var fileID string
	_, _ = h.Store.CacheGet(ctx, fileKey, &fileID)
	var file b24.File
	var err error
	if fileID != "" {
		file, err = h.B24.UploadVersion(ctx, member, fileID, name, p.Bytes)
	}
	if fileID == "" || errors.Is(err, b24.ErrNotFound) || isNotFound(err) {
		folder, ferr := h.previewFolder(ctx, member, task)
		if ferr != nil {
			return file, ferr
		}
		file, err = h.B24.UploadFile(ctx, member, folder, name, p.Bytes)
	}
	if err != nil {
		return file, err
	}
	if err := h.Store.CachePut(ctx, fileKey, file.ID, 0); err != nil {
		return file, err
	}
	if file.DetailURL == "" {
		return file, nil
	}
	return file, h.B24.TaskUpdate(ctx, member, task,
		map[string]any{"UF_FIGMA_PREVIEW": file.DetailURL})
}

// previewFolder is the Drive folder for a task's project ("Figma previews" for tasks without
// one), created once in the app's storage and remembered.
func (h *Handlers) previewFolder(ctx context.Context, member, task string) (string, error) {
	group := "none"
	if st, err := h.Store.TaskState(ctx, member, task); err == nil && st["group"] != "" {
		group = st["group"]
	}
	key := "drive_folder:" + member + ":" + group
	var id string
	if ok, _ := h.Store.CacheGet(ctx, key, &id); ok && id != "" {
		return id, nil
	}
	storage, err := h.B24.StorageForApp(ctx, member)
	if err != nil {
		return "", err
	}
	name := "Figma previews"
	if group != "none" {
		name += " — project " + group
	}
	id, err = h.B24.AddSubfolder(ctx, member, storage.RootObjectID, name)
	if err != nil {
		// A folder left by an earlier install (its id forgotten): use the root instead.
		id = storage.RootObjectID
	}
	return id, h.Store.CachePut(ctx, key, id, 0)
}

// isNotFound reports a Drive object that no longer exists (deleted by a person).
func isNotFound(err error) bool {
	var apiErr *b24.APIError
	return errors.As(err, &apiErr) && apiErr.Code == "ERROR_NOT_FOUND"
}
