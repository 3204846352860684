#!/usr/bin/env bash
# Refreshes the API reference page's bundled Redoc (served by
# /system/docs without any CDN) from the npm registry:
#
#   scripts/update-docs-assets.sh [VERSION]     (default 2.5.4)
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="${1:-2.5.4}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
(cd "$WORK" && npm pack "redoc@$VERSION" --silent >/dev/null && tar xzf redoc-*.tgz)
cp "$WORK/package/bundles/redoc.standalone.js" "$WORK/package/bundles/redoc.standalone.js.LICENSE.txt" \
  "$WORK/package/LICENSE" runtime/assets/redoc/
echo "$VERSION" > runtime/assets/redoc/VERSION
