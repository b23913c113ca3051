#!/usr/bin/env bash
# The production topology on 127.0.0.1: PostgreSQL (client data + tracker store),
# Redis (lock store), 2 action servers, 2 Rasa instances, nginx in front of both.
#   scripts/cluster.sh start      # prints the entry URLs; state under var/cluster/
#   scripts/cluster.sh stop
#   scripts/cluster.sh prometheus [stop]   # optional: Debian's prometheus scraping the topology
#                                          # (deploy/production/prometheus.yml; CLUSTER_PROMETHEUS_PORT, default 9090)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/var/cluster"
PGPORT=${CLUSTER_PGPORT:-55433} REDIS_PORT=${CLUSTER_REDIS_PORT:-56379}
LB=${CLUSTER_LB_PORT:-5080} ACTIONS_LB=${CLUSTER_ACTIONS_LB_PORT:-5090}
read -ra RASA_PORTS <<<"${CLUSTER_RASA_PORTS:-5105 5106}"; read -ra ACTION_PORTS <<<"${CLUSTER_ACTION_PORTS:-5155 5156}"
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false SANIC_HOST=127.0.0.1

need() {
  command -v "$1" >/dev/null && return
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2") >"$DIR/apt.log" 2>&1
  else
    echo "[cluster] $1 is missing: apt-get install $2" >&2; exit 1
  fi
}

start() {
  mkdir -p "$DIR/tmp"
  # not demo mode: BOT_JWT_SECRET, BOT_STAFF_JWT_SECRET and BOT_ACTION_SECRET must be set
  .venv/bin/python -m core.secrets check || exit 1
  # browser origins allowed on socket.io and by CORS (the pages origin by default)
  export BOT_ALLOWED_ORIGINS=${BOT_ALLOWED_ORIGINS:-"http://127.0.0.1:8080 http://localhost:8080"}
  read -ra ORIGINS <<<"$BOT_ALLOWED_ORIGINS"
  need redis-server redis-server
  need nginx nginx
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --save "" --appendonly no \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR"
  export BOT_DATABASE_URL
  BOT_DATABASE_URL=$(PGPORT=$PGPORT PGDATABASE_NAME=broker scripts/pg.sh start | tail -1)
  PGPORT=$PGPORT PGDATABASE_NAME=tracker scripts/pg.sh start >/dev/null
  .venv/bin/python -m storage setup >/dev/null
  .venv/bin/python -m services.knowledge import >/dev/null
  .venv/bin/python -m services.staff >/dev/null  # seeds demo staff only when BOT_DEMO_MODE=1
  export ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_LB/webhook" TICKET_LOCK_LIFETIME=${TICKET_LOCK_LIFETIME:-10}
  # limits shared by every instance (Redis db 2); client addresses from nginx only
  export BOT_RATE_LIMIT_STORAGE="redis://127.0.0.1:$REDIS_PORT/2" BOT_TRUSTED_PROXIES=127.0.0.1
  export TRACKER_DB_HOST=127.0.0.1 TRACKER_DB_PORT=$PGPORT TRACKER_DB_USER=postgres TRACKER_DB_PASSWORD="" \
         TRACKER_DB_NAME=tracker REDIS_HOST=127.0.0.1 REDIS_PORT
  for port in "${ACTION_PORTS[@]}"; do
    setsid .venv/bin/python -m actions.serve -p "$port" --logging-config-file deploy/production/logging.yml \
      >"$DIR/actions-$port.log" 2>&1 &
    echo $! >"$DIR/actions-$port.pid"
  done
  for port in "${RASA_PORTS[@]}"; do
    setsid .venv/bin/python -m bot.serve -i 127.0.0.1 -p "$port" -m models/liangrong.tar.gz --credentials credentials.yml \
      --endpoints deploy/production/endpoints.yml --cors "${ORIGINS[@]}" \
      --logging-config-file deploy/production/logging.yml >"$DIR/rasa-$port.log" 2>&1 &
    echo $! >"$DIR/rasa-$port.pid"
  done
  sed -e "s#@DIR@#$DIR#g" -e "s#@LB@#$LB#g" -e "s#@ACTIONS_LB@#$ACTIONS_LB#g" \
      -e "s#@RASA1@#${RASA_PORTS[0]}#g" -e "s#@RASA2@#${RASA_PORTS[1]}#g" \
      -e "s#@ACT1@#${ACTION_PORTS[0]}#g" -e "s#@ACT2@#${ACTION_PORTS[1]}#g" deploy/production/nginx.conf.in >"$DIR/nginx.conf"
  nginx -c "$DIR/nginx.conf" -p "$DIR"
  for port in "${RASA_PORTS[@]}"; do
    for _ in $(seq 1 180); do
      curl -fs "http://127.0.0.1:$port/webhooks/rest/ready" >/dev/null 2>&1 && break
      kill -0 "$(cat "$DIR/rasa-$port.pid")" 2>/dev/null || { tail -30 "$DIR/rasa-$port.log"; exit 1; }
      sleep 1
    done
  done
  echo "[cluster] up: chat http://127.0.0.1:$LB (nginx → Rasa ${RASA_PORTS[*]}), actions via :$ACTIONS_LB"
  echo "BOT_DATABASE_URL=$BOT_DATABASE_URL"
}

stop() {
  [ -f "$DIR/nginx.pid" ] && nginx -c "$DIR/nginx.conf" -p "$DIR" -s quit 2>/dev/null || true
  for f in "$DIR"/rasa-*.pid "$DIR"/actions-*.pid; do
    [ -f "$f" ] && { kill -TERM -- "-$(cat "$f")" 2>/dev/null || kill "$(cat "$f")" 2>/dev/null || true; rm -f "$f"; }
  done
  [ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
  PGPORT=$PGPORT scripts/pg.sh stop
  echo "[cluster] stopped"
}

prometheus() {
  local port=${CLUSTER_PROMETHEUS_PORT:-9090} dir="$DIR/prometheus"
  if [ "${1:-start}" = stop ]; then
    [ -f "$dir/prometheus.pid" ] && { kill "$(cat "$dir/prometheus.pid")" 2>/dev/null || true; rm -f "$dir/prometheus.pid"; }
    echo "[cluster] prometheus stopped"; return
  fi
  need prometheus prometheus
  rm -rf "$dir/data"  # the local topology's series are throwaway: a restart begins empty
  mkdir -p "$dir/targets" "$dir/data"
  cp deploy/production/prometheus.yml deploy/production/alerts.yml "$dir/"
  targets() { local out="" p; for p in "$@"; do out="$out${out:+,}\"127.0.0.1:$p\""; done; echo "[{\"targets\": [$out]}]"; }
  targets "${RASA_PORTS[@]}" >"$dir/targets/rasa.json"
  targets "${ACTION_PORTS[@]}" >"$dir/targets/actions.json"
  if [ -n "${CLUSTER_PAGES_PORT:-}" ]; then targets "$CLUSTER_PAGES_PORT"; else echo "[]"; fi >"$dir/targets/pages.json"
  setsid prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" >"$dir/prometheus.log" 2>&1 &
  echo $! >"$dir/prometheus.pid"
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  echo "[cluster] prometheus http://127.0.0.1:$port (rules: deploy/production/alerts.yml)"
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  prometheus) prometheus "${2:-start}" ;;
  *) echo "usage: $0 start|stop|prometheus [stop]" >&2; exit 2 ;;
esac
