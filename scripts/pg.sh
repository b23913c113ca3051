#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for tests and the scale-out profile.
#   scripts/pg.sh start   → prints the database URL on its last line
#   scripts/pg.sh stop
# Installs Debian's postgresql if missing (root). Runs as the postgres user when root.
set -euo pipefail
PGPORT=${PGPORT:-55432}
PGDATA=${PGDATA:-/tmp/liangrong-pg-$PGPORT}
DB=${PGDATABASE_NAME:-broker}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[pg] installing postgresql (Debian)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  else
    echo "[pg] PostgreSQL is not installed and we are not root: apt-get install postgresql" >&2; exit 1
  fi
fi
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-start}" in
  start)
    if ! as_pg "$bin/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
      if [ ! -f "$PGDATA/PG_VERSION" ]; then
        mkdir -p "$PGDATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGDATA"
        as_pg "$bin/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
      fi
      as_pg "$bin/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k /tmp -c fsync=off" start >/dev/null
    fi
    as_pg "$bin/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
      || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres "$DB"
    echo "postgresql+psycopg2://postgres@127.0.0.1:$PGPORT/$DB"
    ;;
  stop)
    as_pg "$bin/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
