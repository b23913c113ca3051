#!/usr/bin/env bash
# Starts the whole assistant in the foreground on loopback; Ctrl-C stops it all.
#   action server :5055 · Rasa :5005 (REST + assist channels) · pages :8080
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false SANIC_HOST=127.0.0.1
export BOT_DEMO_MODE=${BOT_DEMO_MODE:-1}   # the demo page's login; set 0 to switch it off
RASA_PORT=${RASA_PORT:-5005} ACTIONS_PORT=${ACTIONS_PORT:-5055} PAGES_PORT=${PAGES_PORT:-8080}
# Outside demo mode: no start without BOT_JWT_SECRET, BOT_STAFF_JWT_SECRET, BOT_ACTION_SECRET.
.venv/bin/python -m core.secrets check || exit 1
if [ "$BOT_DEMO_MODE" = 1 ]; then
  echo "[run] DEMO MODE: demo logins on; secrets not set in the environment are random ones generated"
  echo "[run]   once for this install (var/demo_secrets.json, not in git); everything listens on 127.0.0.1 only"
fi
mkdir -p var/log
pids=()
stop() { trap - INT TERM EXIT; echo; echo "[run] stopping …"; kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop INT TERM EXIT

# every process masks client ids, names, phones and figures in its logs (core/logs.py)
.venv/bin/python -m actions.serve --actions actions -p "$ACTIONS_PORT" --logging-config-file deploy/logging.yml >var/log/actions.log 2>&1 &
pids+=($!)
.venv/bin/python -m bot.serve -i 127.0.0.1 -p "$RASA_PORT" -m models/liangrong.tar.gz \
  --credentials credentials.yml --endpoints endpoints.yml --logging-config-file deploy/logging.yml \
  --cors "http://127.0.0.1:$PAGES_PORT" "http://localhost:$PAGES_PORT" >var/log/rasa.log 2>&1 &
pids+=($!)
.venv/bin/python -m web.server --port "$PAGES_PORT" --rasa "http://127.0.0.1:$RASA_PORT" >var/log/pages.log 2>&1 &
pids+=($!)

echo "[run] waiting for Rasa to load the model (about 20–30 s) …"
for _ in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$RASA_PORT/webhooks/rest/" >/dev/null 2>&1; then break; fi
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null || { echo "[run] a process exited; see var/log/"; tail -20 var/log/*.log; exit 1; }; done
  sleep 1
done
cat <<MSG
[run] ready:
  chat (REST)     POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook
  agent assist    POST http://127.0.0.1:$RASA_PORT/webhooks/assist/suggest
  demo page       http://127.0.0.1:$PAGES_PORT/      (full-page chat: /chat)
  agents' console http://127.0.0.1:$PAGES_PORT/agent
  publishing      http://127.0.0.1:$PAGES_PORT/editor
  logs            var/log/{rasa,actions,pages}.log
Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
echo "[run] a process exited unexpectedly; see var/log/"
