#!/usr/bin/env bash
# Refreshes the vendored browser bundle(s) from npm (the pages never load a CDN).
set -euo pipefail
cd "$(dirname "$0")/../web"
npm install --no-audit --no-fund --silent
cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
echo "vendored socket.io-client $(node -p 'require("socket.io-client/package.json").version')"
