package bot

import (
	"net/url"
	"strings"
)

// FileURL links a Figma file, or one of its nodes, for people (not for the API).
func FileURL(fileKey, nodeID string) string {
	u := "https://www.figma.com/design/" + url.PathEscape(fileKey)
	if nodeID != "" {
		u += "?node-id=" + url.QueryEscape(strings.ReplaceAll(nodeID, ":", "-"))
	}
	return u
}

// CommentURL links one Figma comment: the file, the frame it is pinned to, and the comment id
// as the fragment, which makes Figma open the comment.
func CommentURL(fileKey, nodeID, commentID string) string {
	return FileURL(fileKey, nodeID) + "#" + url.PathEscape(commentID)
}
