#!/usr/bin/env bash
# Builds the admin console (console/: TypeScript, Vite, Mantine) into
# console/dist, which the server embeds at compile time and serves at
# /console. Installs the npm packages pinned in console/package-lock.json
# (npm ci) when they changed, and skips the build when no input changed
# since the last one (so the server is not rebuilt for nothing).
#
#   scripts/build-console.sh
set -euo pipefail
cd "$(dirname "$0")/../console"

if ! command -v node >/dev/null || ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'; then
  echo "the console's build (Vite 8) needs Node.js 20.19 or later; found: $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

LOCK_SUM=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f node_modules/.sluice-lock || "$(cat node_modules/.sluice-lock)" != "$LOCK_SUM" ]]; then
  echo "==> npm ci (console)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$LOCK_SUM" > node_modules/.sluice-lock
fi

# Everything the build reads, including the code shared with the portal
# (web-shared/) and the admin API's OpenAPI document the typed client is
# generated from.
INPUTS_SUM=$( (find src public tools e2e ../web-shared -type f ! -path 'src/api/admin.d.ts' ! -path 'src/generated/*' -print0 \
  | sort -z | xargs -0 sha256sum; sha256sum index.html package-lock.json vite.config.ts tsconfig.json ../runtime/openapi/admin.yaml) \
  | sha256sum | cut -d' ' -f1)
if [[ -f dist/index.html && -f dist/.inputs && "$(cat dist/.inputs)" == "$INPUTS_SUM" ]]; then
  exit 0
fi
echo "==> building the console"
npm run --silent build
echo "$INPUTS_SUM" > dist/.inputs
