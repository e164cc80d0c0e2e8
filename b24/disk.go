package b24

import (
	"context"
	"encoding/base64"
)

// Storage is the app's Drive storage.
type Storage struct {
	ID           string
	Name         string
	RootObjectID string // the root folder's id: upload here
}

type storageWire struct {
	ID           flexString `json:"ID"`
	Name         string     `json:"NAME"`
	RootObjectID flexString `json:"ROOT_OBJECT_ID"`
}

// StorageForApp returns the app's storage, creating it on first use (admin, app context only).
// https://apidocs.bitrix24.com/api-reference/disk/storage/disk-storage-get-for-app.html
func (c *Client) StorageForApp(ctx context.Context, memberID string) (Storage, error) {
	var w storageWire
	if err := c.Call(ctx, memberID, "disk.storage.getforapp", nil, &w); err != nil {
		return Storage{}, err
	}

	return Storage{ID: string(w.ID), Name: w.Name, RootObjectID: string(w.RootObjectID)}, nil
}

// File is an uploaded Drive file.
type File struct {
	ID          string
	Name        string
	DetailURL   string // the file's page on the portal; safe to store and show
	DownloadURL string // signed, carries auth: a secret, never store or show it
}

type fileWire struct {
	ID          flexString `json:"ID"`
	Name        string     `json:"NAME"`
	DetailURL   string     `json:"DETAIL_URL"`
	DownloadURL string     `json:"DOWNLOAD_URL"`
}

// UploadFile uploads data as a file into a folder in one call (fileContent as
// [name, base64]). B24 renames the file when the name is taken (generateUniqueName).
// disk.file.uploadtofolder, named in some guides, does not exist (b24-facts 0.4).
// https://apidocs.bitrix24.com/api-reference/disk/folder/disk-folder-upload-file.html
func (c *Client) UploadFile(ctx context.Context, memberID, folderID, name string,
	data []byte) (File, error) {
	params := Ordered{
		{"id", folderID},
		{"data", map[string]string{"NAME": name}},
		{"fileContent", []string{name, base64.StdEncoding.EncodeToString(data)}},
		{"generateUniqueName", true},
	}

	var w fileWire
	if err := c.Call(ctx, memberID, "disk.folder.uploadfile", params, &w); err != nil {
		return File{}, err
	}

	return File{ID: string(w.ID), Name: w.Name, DetailURL: w.DetailURL,
		DownloadURL: w.DownloadURL}, nil
}

// UploadVersion replaces a file's content with a new version; the file keeps its name and its
// page (DETAIL_URL), so links to it stay valid.
// https://apidocs.bitrix24.com/api-reference/disk/file/disk-file-upload-version.html
func (c *Client) UploadVersion(ctx context.Context, memberID, fileID, name string,
	data []byte) (File, error) {
	params := Ordered{
		{"id", fileID},
		{"fileContent", []string{name, base64.StdEncoding.EncodeToString(data)}},
	}

	var w fileWire
	if err := c.Call(ctx, memberID, "disk.file.uploadversion", params, &w); err != nil {
		return File{}, err
	}

	return File{ID: string(w.ID), Name: w.Name, DetailURL: w.DetailURL,
		DownloadURL: w.DownloadURL}, nil
}

// AddSubfolder creates a folder inside parentID and returns its id.
// https://apidocs.bitrix24.com/api-reference/disk/folder/disk-folder-add-subfolder.html
func (c *Client) AddSubfolder(ctx context.Context, memberID, parentID, name string) (string,
	error) {
	params := Ordered{{"id", parentID}, {"data", map[string]string{"NAME": name}}}
	var w struct {
		ID flexString `json:"ID"`
	}
	if err := c.Call(ctx, memberID, "disk.folder.addsubfolder", params, &w); err != nil {
		return "", err
	}

	return string(w.ID), nil
}
