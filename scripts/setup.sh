#!/usr/bin/env bash
# Idempotent set-up: Python 3.10 venv with pinned packages, spaCy rule pipeline,
# migrated + seeded demo database, and a trained model (only when its inputs changed).
#   scripts/setup.sh          runtime packages
#   scripts/setup.sh dev      plus test tools
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-runtime}
log() { printf '\033[1;34m[setup]\033[0m %s\n' "$*"; }

# 1. Python 3.10 virtual environment
PY=$(scripts/find_python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
  log "creating .venv with $PY"
  rm -rf .venv
  "$PY" -m venv .venv
fi
hash=$(cat requirements.txt requirements-dev.txt requirements-nodeps.txt constraints.txt | sha1sum | cut -c1-12)
reqs=requirements.txt; [ "$kind" = dev ] && reqs=requirements-dev.txt
# the dev install includes the runtime one
if [ ! -f ".venv/.installed-$hash-dev" ] && { [ "$kind" = dev ] || [ ! -f ".venv/.installed-$hash-runtime" ]; }; then
  log "installing $reqs (pinned by constraints.txt; about 3 minutes the first time)"
  # (this machine's pip config names local indexes that may not exist: hide those warnings)
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -r "$reqs" 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements-nodeps.txt 2>&1 \
    | { grep -v "is ignored: it is neither a file nor a directory" || true; }
  touch ".venv/.installed-$hash-$kind"
fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false

# 2. blank Chinese spaCy pipeline with the entity rules
if [ ! -f var/spacy_zh/config.cfg ] || [ bot/nlu/spacy_pipeline.py -nt var/spacy_zh/config.cfg ] \
   || [ core/values.py -nt var/spacy_zh/config.cfg ] \
   || [ knowledge/lexicon/stocks.yml -nt var/spacy_zh/config.cfg ]; then
  log "building the spaCy rule pipeline (var/spacy_zh)"
  .venv/bin/python -m bot.nlu.spacy_pipeline build var/spacy_zh >/dev/null
fi

# 3. client database: migrate to head, add missing demo clients
log "database: ${BOT_DATABASE_URL:-sqlite:///var/broker.db}"
.venv/bin/python -m storage setup
.venv/bin/python -m services.knowledge import
.venv/bin/python -m services.staff

# 4. train only when the NLU/dialogue inputs changed
scripts/train.sh
