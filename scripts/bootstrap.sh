#!/usr/bin/env bash
# First-use set-up for `npm start` and `npm test` on a fresh clone: system packages, then npm packages (npm ci also
# builds the Wasm core, the native addon and the TypeScript through the prepare script). A no-op when all is there.
#   bootstrap.sh --unprivileged-ok   (npm test) without root, go on without the Debian packages that are missing:
#                                    the unit tests run as any user; the namespace tests skip and say why.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh "$@"
if [ ! -d node_modules/assemblyscript ] || [ ! -d node_modules/vitest ]; then
  echo "igmpswitch: installing npm packages (npm ci)"
  npm ci --no-audit --no-fund </dev/null
fi
