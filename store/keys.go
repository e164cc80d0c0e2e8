package store

// Every Redis key figbot writes is built here, from one prefix. Keys that belong to a portal
// carry its member_id right after the prefix, so a portal's data can be found and removed
// as a whole. The comment on each function names the key's Redis type.

// Prefix starts every key figbot writes (asynq's own keys start with "asynq:").
const Prefix = "figbot:"

// portalKey is a hash: the portal's endpoints, encrypted tokens and install state.
func portalKey(member string) string { return Prefix + "portal:" + member }

// portalsKey is a set of the member_ids of installed portals.
func portalsKey() string { return Prefix + "portals" }

// pendingInstallKey is a string: an encrypted install waiting to be checked by a worker.
func pendingInstallKey(member, id string) string {
	return Prefix + "pending_install:" + member + ":" + id
}

// refreshLockKey is a string held while one process refreshes a portal's tokens.
func refreshLockKey(member string) string { return Prefix + member + ":refresh_lock" }

// chatLinksKey is a hash: link id -> JSON Link, the links of one chat.
func chatLinksKey(member, chat string) string {
	return Prefix + member + ":chat:" + chat + ":links"
}

// taskLinksKey is a hash: link id -> JSON Link, the links of one B24 task.
func taskLinksKey(member, task string) string {
	return Prefix + member + ":task:" + task + ":links"
}

// subsKey is a set of event kinds one chat receives.
func subsKey(member, chat string) string { return Prefix + member + ":chat:" + chat + ":subs" }

// memberChatsKey is a set of the chats of one portal that hold links.
func memberChatsKey(member string) string { return Prefix + member + ":chats" }

// memberTasksKey is a set of the tasks of one portal that hold links.
func memberTasksKey(member string) string { return Prefix + member + ":tasks" }

// fileChatsKey is a set of "member_id|dialog_id": every chat a Figma file is linked to.
func fileChatsKey(fileKey string) string { return Prefix + "file:" + fileKey + ":chats" }

// fileTasksKey is a set of "member_id|task_id": every task a Figma file is linked to.
func fileTasksKey(fileKey string) string { return Prefix + "file:" + fileKey + ":tasks" }

// filesKey is a set of every linked Figma file key (for the scheduled refresh).
func filesKey() string { return Prefix + "files" }

// markKey is a string with a TTL: an effect that already happened (a message posted).
func markKey(name string) string { return Prefix + "done:" + name }

// ownKey is a string with a TTL: an id of something the bot itself wrote.
func ownKey(kind, id string) string { return Prefix + "own:" + kind + ":" + id }

// webhookKey is a hash: what the bot knows of a Figma webhook it created.
func webhookKey(id string) string { return Prefix + "webhook:" + id }

// webhooksKey is a set of the ids of webhooks the bot created.
func webhooksKey() string { return Prefix + "webhooks" }

// cacheKey is a string with a TTL: a cached Figma answer.
func cacheKey(name string) string { return Prefix + "cache:" + name }

// threadKey is a string: one side of a comment thread map (Figma <-> B24).
func threadKey(member, side, id string) string {
	return Prefix + member + ":thread:" + side + ":" + id
}

// taskStateKey is a hash: the last status seen for a task and its open review.
func taskStateKey(member, task string) string { return Prefix + member + ":taskstate:" + task }

// previewKey is a string with a TTL: PNG bytes of one rendered frame at one file version.
func previewKey(id string) string { return Prefix + "preview:" + id }
