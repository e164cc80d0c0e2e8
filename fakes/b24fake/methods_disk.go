package b24fake

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

const (
	storageID    = "1366"
	rootFolderID = "8910"
)

// diskStorageGetForApp answers the app storage like response-disk.storage.getforapp.json.
func diskStorageGetForApp(_ *state, _ *call) (any, *apiError) {
	return map[string]any{"ID": storageID, "NAME": "local.fake.app", "CODE": nil,
		"MODULE_ID": "disk", "ENTITY_TYPE": "restapp", "ENTITY_ID": "7",
		"ROOT_OBJECT_ID": rootFolderID}, nil
}

// diskFolderUploadFile: id (the storage's root folder is the only folder), data{NAME},
// fileContent [name, base64], generateUniqueName. Without fileContent it answers an uploadUrl
// for a multipart POST, the documented two-step upload. A taken name without
// generateUniqueName is ERROR_CORE "... already exists" (the fake's choice of code).
func diskFolderUploadFile(s *state, c *call) (any, *apiError) {
	folder := c.params.String("id")
	if folder == "" {
		return nil, argumentError("id")
	}

	if !s.folderExists(folder) {
		return nil, badRequest("ERROR_NOT_FOUND", "Could not find entity with id '"+folder+"'")
	}

	name := c.params.String("data", "NAME")
	if name == "" {
		return nil, argumentError("NAME")
	}

	content := c.params.List("fileContent")
	if content == nil {
		return s.uploadURL(folder, name), nil
	}

	data, err := decodeContent(content)
	if err != nil {
		return nil, err
	}

	return s.addFile(folder, name, data, yes(c.params.String("generateUniqueName")))
}

func decodeContent(content []any) ([]byte, *apiError) {
	if len(content) != 2 {
		return nil, argumentError("fileContent")
	}

	encoded, _ := content[1].(string)
	data, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, argumentError("fileContent")
	}

	return data, nil
}

func (s *state) uploadURL(folder, name string) map[string]any {
	token := randomHex(12)
	s.uploads[token] = folder + "\x00" + name
	return map[string]any{"field": "file",
		"uploadUrl": s.baseURL + "/rest/upload.json?token=" + token}
}

func (s *state) addFile(folder, name string, data []byte, unique bool) (any, *apiError) {
	final := name
	for i := 1; s.fileNamed(folder, final); i++ {
		if !unique {
			return nil, badRequest("ERROR_CORE", "A file named "+name+" already exists.")
		}

		ext := path.Ext(name)
		final = strings.TrimSuffix(name, ext) + " (" + strconv.Itoa(i) + ")" + ext
	}

	id := s.nextID()
	f := File{ID: id, Name: final, FolderID: folder, Data: data, Version: 1,
		DetailURL: s.baseURL + "/company/personal/user/" + AdminID + "/disk/file/" + final,
		DownloadURL: s.baseURL + "/rest/download.json?auth=" + randomHex(16) +
			"&token=" + url.QueryEscape("disk|"+id+"|"+randomHex(8))}
	s.files = append(s.files, f)
	return s.fileJSON(f), nil
}

func (s *state) fileNamed(folder, name string) bool {
	for _, f := range s.files {
		if f.FolderID == folder && strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// fileJSON spells a file like response-disk.folder.uploadfile.json.
func (s *state) fileJSON(f File) map[string]any {
	now := time.Now().Format(time.RFC3339)
	return map[string]any{
		"ID": num(f.ID), "NAME": f.Name, "CODE": nil, "STORAGE_ID": storageID, "TYPE": "file",
		"PARENT_ID": f.FolderID, "DELETED_TYPE": 0, "GLOBAL_CONTENT_VERSION": f.Version,
		"FILE_ID": num(f.ID), "SIZE": strconv.Itoa(len(f.Data)), "CREATE_TIME": now,
		"UPDATE_TIME": now, "DELETE_TIME": nil, "CREATED_BY": AdminID, "UPDATED_BY": AdminID,
		"DELETED_BY": nil, "DOWNLOAD_URL": f.DownloadURL, "DETAIL_URL": f.DetailURL,
	}
}

// serveUpload takes the multipart POST of a two-step upload.
func (s *state) serveUpload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	if err != nil {
		writeJSON(w, 400, argumentError("file").body())
		return
	}
	defer file.Close()

	data, err := io.ReadAll(io.LimitReader(file, maxRequestBody))
	if err != nil {
		writeJSON(w, 400, argumentError("file").body())
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	target, ok := s.uploads[r.URL.Query().Get("token")]
	if !ok {
		writeJSON(w, 401, badRequest("invalid_token", "Unknown upload token").body())
		return
	}

	delete(s.uploads, r.URL.Query().Get("token"))
	folder, name, _ := strings.Cut(target, "\x00")
	result, aerr := s.addFile(folder, name, data, true)
	if aerr != nil {
		writeJSON(w, aerr.status, aerr.body())
		return
	}

	writeJSON(w, 200, map[string]any{"result": result, "time": timeInfo(time.Now())})
}

// serveDownload serves a file by its signed DOWNLOAD_URL.
func (s *state) serveDownload(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.files {
		if u, err := url.Parse(f.DownloadURL); err == nil &&
			u.Query().Get("token") == r.URL.Query().Get("token") {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write(f.Data)
			return
		}
	}

	http.NotFound(w, r)
}

func (s *state) folderExists(id string) bool {
	if id == rootFolderID {
		return true
	}
	for _, f := range s.folders {
		if f.ID == id {
			return true
		}
	}
	return false
}

// diskFolderAddSubfolder: id (parent) and data{NAME}; a taken name is the
// DISK_OBJ_22000-style error "... already exists" (the fake's wording).
func diskFolderAddSubfolder(s *state, c *call) (any, *apiError) {
	parent := c.params.String("id")
	if parent == "" {
		return nil, argumentError("id")
	}
	if !s.folderExists(parent) {
		return nil, badRequest("ERROR_NOT_FOUND", "Could not find entity with id '"+parent+"'")
	}
	name := c.params.String("data", "NAME")
	if name == "" {
		return nil, argumentError("NAME")
	}
	for _, f := range s.folders {
		if f.ParentID == parent && strings.EqualFold(f.Name, name) {
			return nil, badRequest("DISK_OBJ_22000", "A folder named "+name+" already exists.")
		}
	}
	f := Folder{ID: s.nextID(), Name: name, ParentID: parent}
	s.folders = append(s.folders, f)
	return map[string]any{"ID": num(f.ID), "NAME": f.Name, "STORAGE_ID": storageID,
		"TYPE": "folder", "PARENT_ID": parent, "REAL_OBJECT_ID": num(f.ID)}, nil
}

// diskFileUploadVersion: id (file) and fileContent [name, base64]; the file keeps its name
// and page and gets the new content, like disk.file.get answers.
func diskFileUploadVersion(s *state, c *call) (any, *apiError) {
	id := c.params.String("id")
	if id == "" {
		return nil, argumentError("id")
	}
	content := c.params.List("fileContent")
	if content == nil {
		return nil, argumentError("fileContent")
	}
	data, err := decodeContent(content)
	if err != nil {
		return nil, err
	}
	for i := range s.files {
		if s.files[i].ID == id {
			s.files[i].Data = data
			s.files[i].Version++
			return s.fileJSON(s.files[i]), nil
		}
	}
	return nil, badRequest("ERROR_NOT_FOUND", "Could not find entity with id '"+id+"'")
}
