package bot

import (
	"fmt"
	"strings"
)

// Lang picks the language of a reply from what B24 sends ("ru", "en", "de", ...): Russian for
// "ru" and its neighbours that read it, English for everything else.
func Lang(b24 string) string {
	switch strings.ToLower(strings.TrimSpace(b24)) {
	case "ru", "by", "kz", "ua":
		return "ru"
	}
	return "en"
}

// catalog holds every fixed phrase figbot says, per language. Values are fmt formats; the
// arguments are safe text (made inert by the caller when they come from a user).
var catalog = map[string]map[string]string{
	"en": {
		"comment":         "💬 %s commented on %s:\n%s\n%s",
		"reply":           "↪️ %s replied in a thread on %s:\n%s\n%s",
		"open_comment":    "Open the comment",
		"reply_task":      "↪️ %s replied in Figma:\n%s\n%s",
		"frame":           "frame %s",
		"review_closed":   "✅ Review of %s closed: %s comment(s) went to Figma, %s came back.",
		"open_file":       "Open in Figma",
		"digest":          "%d new events in Figma:",
		"version_chat":    "🆕 New version of %s: %s\n%s\n%s",
		"version_task":    "%s, a new version of the design is ready: %s\n%s\n%s",
		"file_update":     "✏️ %s was edited in Figma.\n%s",
		"file_update_big": "✏️ %s changed noticeably in Figma (frame %s).\n%s",
		"file_delete":     "🗑 %s was deleted in Figma by %s. Its links in this chat no longer work.",
		"library":         "📚 %s published library changes: %s\n%s",
		"devmode":         "🛠 %s: a layer is now %s (by %s).\n%s",
		"help":            helpEN,
		"unknown_command": "I do not know the command /%s. Type /help to see what I can do.",
		"link_usage":      "Send /link with a Figma link, e.g. /link https://www.figma.com/design/KEY/Name?node-id=1-2",
		"link_added":      "Linked %s. This chat receives: %s.",
		"link_added_task": "Linked %s to this chat and to task #%s. This chat receives: %s.",
		"link_exists":     "%s is already linked here.",
		"link_bad":        "That does not look like a Figma file link: %s.",
		"link_no_access":  "I cannot open that file in Figma: %s. Share it with the bot's Figma account and try again.",
		"unlink_none":     "This chat has no links.",
		"unlink_missing":  "This chat has no link to %s. Type /links to see them.",
		"unlink_one":      "Removed the link to %s.",
		"unlink_all":      "Removed all %d links of this chat.",
		"links_none":      "This chat has no Figma links yet. Add one with /link <figma url>.",
		"links_head":      "Figma links of this chat (receiving: %s):",
		"links_dead":      "deleted in Figma",
		"subscribe_usage": "Send /subscribe with any of: comments, versions, updates, deletes, library, devmode, all, none.",
		"subscribe_done":  "This chat now receives: %s.",
		"subscribe_none":  "nothing",
		"webhook_denied":  "I could not set up Figma notifications for %s: %s. A Figma team admin can run `figbot webhooks register --file %s`.",
		"webhook_limit":   "Figma allows only 3 webhooks per file and %s has them all. Ask the file owner to remove unused ones.",
		"rate_limited":    "Figma asked me to wait %s before the next call. Your request will run after that.",
		"figma_down":      "Figma did not answer. I will try again shortly.",
		"status_head":     "figbot status:",
		"review_usage":    "Send /review with a task number or a Figma link.",
		"preview_usage":   "Send /preview with a Figma link.",
		"preview":         "🖼 Preview of %s (version %s)\n%s",
		"preview_failed":  "Figma could not render %s: %s.",
		"needs_reinstall": "figbot lost access to this portal (the refresh token was refused). An administrator must reinstall the app.",
		"welcome":         "Hello! I relay Figma comments and versions to this chat. Type /help to start.",
	},
	"ru": {
		"comment":         "💬 %s прокомментировал(а) %s:\n%s\n%s",
		"reply":           "↪️ %s ответил(а) в обсуждении %s:\n%s\n%s",
		"open_comment":    "Открыть комментарий",
		"reply_task":      "↪️ %s ответил(а) в Figma:\n%s\n%s",
		"frame":           "фрейм %s",
		"review_closed":   "✅ Ревью «%s» закрыто: в Figma ушло комментариев: %s, вернулось: %s.",
		"open_file":       "Открыть в Figma",
		"digest":          "Новых событий в Figma: %d",
		"version_chat":    "🆕 Новая версия %s: %s\n%s\n%s",
		"version_task":    "%s, новая версия макета готова: %s\n%s\n%s",
		"file_update":     "✏️ %s изменён в Figma.\n%s",
		"file_update_big": "✏️ %s заметно изменился в Figma (фрейм %s).\n%s",
		"file_delete":     "🗑 %s удалён в Figma (%s). Ссылки на него в этом чате больше не работают.",
		"library":         "📚 %s опубликовал(а) изменения библиотеки: %s\n%s",
		"devmode":         "🛠 %s: слой теперь в статусе %s (%s).\n%s",
		"help":            helpRU,
		"unknown_command": "Я не знаю команду /%s. Наберите /help, чтобы увидеть список.",
		"link_usage":      "Отправьте /link со ссылкой на Figma, например /link https://www.figma.com/design/KEY/Name?node-id=1-2",
		"link_added":      "Ссылка на %s добавлена. Этот чат получает: %s.",
		"link_added_task": "Ссылка на %s добавлена в чат и в задачу #%s. Этот чат получает: %s.",
		"link_exists":     "%s уже привязан к этому чату.",
		"link_bad":        "Это не похоже на ссылку на файл Figma: %s.",
		"link_no_access":  "Не могу открыть этот файл в Figma: %s. Откройте доступ аккаунту бота и повторите.",
		"unlink_none":     "В этом чате нет ссылок.",
		"unlink_missing":  "В этом чате нет ссылки на %s. Список: /links.",
		"unlink_one":      "Ссылка на %s удалена.",
		"unlink_all":      "Удалены все ссылки чата: %d.",
		"links_none":      "В этом чате пока нет ссылок на Figma. Добавьте: /link <ссылка>.",
		"links_head":      "Ссылки на Figma в этом чате (получаем: %s):",
		"links_dead":      "удалён в Figma",
		"subscribe_usage": "Отправьте /subscribe и любые из: comments, versions, updates, deletes, library, devmode, all, none.",
		"subscribe_done":  "Теперь этот чат получает: %s.",
		"subscribe_none":  "ничего",
		"webhook_denied":  "Не удалось настроить уведомления Figma для %s: %s. Администратор команды Figma может выполнить `figbot webhooks register --file %s`.",
		"webhook_limit":   "Figma разрешает только 3 вебхука на файл, и у %s они все заняты. Попросите владельца файла удалить лишние.",
		"rate_limited":    "Figma попросила подождать %s. Запрос будет выполнен после этого.",
		"figma_down":      "Figma не ответила. Я скоро попробую снова.",
		"status_head":     "Состояние figbot:",
		"review_usage":    "Отправьте /review с номером задачи или ссылкой на Figma.",
		"preview_usage":   "Отправьте /preview со ссылкой на Figma.",
		"preview":         "🖼 Превью %s (версия %s)\n%s",
		"preview_failed":  "Figma не смогла отрисовать %s: %s.",
		"needs_reinstall": "figbot потерял доступ к порталу (refresh-токен отклонён). Администратору нужно переустановить приложение.",
		"welcome":         "Здравствуйте! Я пересылаю комментарии и версии из Figma в этот чат. Наберите /help.",
	},
}

const helpEN = `figbot commands:
/link <figma url> — link a Figma file or frame to this chat (in a task chat, to the task too)
/unlink [url] — remove one link, or all links of this chat
/links — this chat's links with their last version
/review <task id | figma url> — start a task's review, or post a frame's preview and open comments
/preview <figma url> — post a fresh preview of a frame
/subscribe <kinds> — comments, versions, updates, deletes, library, devmode, all, none
/status — what figbot can reach right now
/help — this list`

const helpRU = `Команды figbot:
/link <ссылка figma> — привязать файл или фрейм Figma к чату (в чате задачи — и к задаче)
/unlink [ссылка] — удалить одну ссылку или все ссылки чата
/links — ссылки чата с последней версией
/review <номер задачи | ссылка> — начать ревью задачи или показать превью и открытые комментарии
/preview <ссылка figma> — свежее превью фрейма
/subscribe <виды> — comments, versions, updates, deletes, library, devmode, all, none
/status — что figbot может достать прямо сейчас
/help — этот список`

// T formats the phrase key in lang with args. A missing key is a programming error and shows as
// the key itself, which tests catch.
func T(lang, key string, args ...any) string {
	table, ok := catalog[lang]
	if !ok {
		table = catalog["en"]
	}
	format, ok := table[key]
	if !ok {
		return key
	}
	if len(args) == 0 {
		return format
	}
	return fmt.Sprintf(format, args...)
}
