#!/usr/bin/env bash
# Measures figbot's intake under load: builds the binary (without -race), starts `figbot serve`
# on 127.0.0.1 against the machine's Redis on a dedicated database, runs `figbot load` against
# it (the intake, then a bare asynq enqueue of the same payloads as the baseline), stops the bot
# by its PID, empties that database and prints the figures.
#
#   scripts/load.sh                              # 10,000 Figma deliveries at 1,000/s
#   scripts/load.sh --kind mix --rate 2000 --duration 5s
#
# LOAD_DB (default 15) is the database used; it must be empty at the start and is flushed at
# the end. ROLE=all runs the worker in the same process too (default serve: the intake only).
# REDIS_HOST_PORT (default 127.0.0.1:6379) must be on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

db="${LOAD_DB:-15}"
redis="${REDIS_HOST_PORT:-127.0.0.1:6379}"
role="${ROLE:-serve}"
case "$redis" in 127.*|localhost:*) ;; *) echo "REDIS_HOST_PORT must be loopback" >&2; exit 2;; esac
if [ "$db" = 0 ]; then echo "LOAD_DB must not be 0" >&2; exit 2; fi
rcli=(redis-cli -h "${redis%:*}" -p "${redis##*:}" -n "$db")
if [ "$("${rcli[@]}" dbsize)" != 0 ]; then
  echo "database $db is not empty; choose another LOAD_DB" >&2; exit 1
fi

work="$(mktemp -d)"
bot_pid=""
cleanup() {
  if [ -n "$bot_pid" ] && kill -0 "$bot_pid" 2>/dev/null; then
    kill -TERM "$bot_pid"
    for _ in $(seq 1 100); do kill -0 "$bot_pid" 2>/dev/null || break; sleep 0.1; done
  fi
  "${rcli[@]}" flushdb >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/figbot" ./cmd/figbot

export REDIS_URL="redis://$redis/$db"
export FIGBOT_SECRET="load-test-secret-0123456789abcdefghijklmnop"
export FIGMA_WEBHOOK_PASSCODE="load-test-passcode"
export B24_CLIENT_ID="load.test" B24_CLIENT_SECRET="load-test-client-secret"
export FIGBOT_ADDR="127.0.0.1:0" PUBLIC_URL="http://127.0.0.1"
# Nothing the bot might call leaves the machine: closed loopback ports only.
export FIGMA_API_URL="http://127.0.0.1:9" B24_OAUTH_URL="http://127.0.0.1:9"
export B24_ALLOWED_HOSTS="127.0.0.1" B24_ALLOW_HTTP="true" LOG_LEVEL="info"

"$work/figbot" "$role" 2>"$work/bot.log" &
bot_pid=$!
addr=""
for _ in $(seq 1 100); do
  addr="$(sed -n 's/.*figbot listening.*addr="\{0,1\}\([0-9.:]*\).*/\1/p' "$work/bot.log")"
  [ -n "$addr" ] && break
  sleep 0.1
done
if [ -z "$addr" ]; then echo "the bot did not start:" >&2; cat "$work/bot.log" >&2; exit 1; fi
for _ in $(seq 1 50); do
  curl -fsS "http://$addr/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done

echo "bot: figbot $role, pid $bot_pid, http://$addr, redis db $db; $(nproc) cores"
"$work/figbot" load --url "http://$addr" "$@"
