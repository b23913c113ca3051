#!/usr/bin/env bash
# Trains the Rasa model when config, domain, training data or NLU code changed.
# FORCE=1 retrains regardless. Prints the training time. Always a full training (--force):
# Rasa's cache keys components on the training data, not on files they read (the glossary,
# the domain dictionary), so a cached step could outlive the lexicon it was built with.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" TF_CPP_MIN_LOG_LEVEL=3 RASA_TELEMETRY_ENABLED=false
fingerprint=$(find config.yml domain.yml data knowledge/lexicon bot/nlu core/text.py core/segment.py core/values.py -type f \
  -not -name '*.pyc' -print0 | sort -z | xargs -0 sha1sum | sha1sum | cut -c1-16)
if [ "${FORCE:-0}" != 1 ] && [ -f models/liangrong.tar.gz ] && [ "$(cat models/.fingerprint 2>/dev/null)" = "$fingerprint" ]; then
  echo "[train] model is up to date (fingerprint $fingerprint)"
  exit 0
fi
echo "[train] training the Rasa model …"
start=$(date +%s)
.venv/bin/rasa train --force --fixed-model-name liangrong --out models --quiet >var/train.log 2>&1 || {
  tail -40 var/train.log; echo "[train] FAILED (full log: var/train.log)"; exit 1; }
took=$(( $(date +%s) - start ))
echo "$fingerprint" > models/.fingerprint
echo "$took" > models/.train_seconds
echo "[train] done in ${took}s"
