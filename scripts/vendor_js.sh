#!/usr/bin/env bash
# Refreshes the vendored browser bundles from npm (the pages never load a CDN).
set -euo pipefail
cd "$(dirname "$0")/../web"
npm install --no-audit --no-fund --silent
cp node_modules/socket.io-client/dist/socket.io.min.js static/vendor/socket.io.min.js
cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts.min.js
echo "vendored socket.io-client $(node -p 'require("socket.io-client/package.json").version')," \
     "echarts $(node -p 'require("echarts/package.json").version')"
