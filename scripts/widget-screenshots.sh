#!/usr/bin/env bash
# Screenshots of the task widget for docs/: runs the widget's end-to-end test, which starts the
# bot on loopback with the fake Figma and B24, and lets it save the page as headless Chromium
# renders it: docs/widget-320-light.png (320 px, light) and docs/widget-640-dark.png (640 px,
# B24's dark theme). Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and Debian's
# chromium (apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

if ! command -v chromium >/dev/null 2>&1; then
  echo "chromium is missing: apt-get install -y chromium" >&2
  exit 1
fi
mkdir -p docs
WIDGET_SCREENSHOTS="$(pwd)/docs" CI="${CI:-true}" \
  go test -count=1 -run '^TestWidgetPage$/^chromium$' ./e2e/
ls -l docs/widget-320-light.png docs/widget-640-dark.png
