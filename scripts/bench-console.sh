#!/usr/bin/env bash
# The console's and the developer portal's first loads, in one run: the
# release server, headless Chromium with an empty cache
# (console/bench/first-load.mjs), the median of RUNS (5) fresh contexts.
# Prints bytes transferred (all, and the JavaScript alone, gzip as sent),
# the time until the console's sign-in form takes input, the time from
# "Sign in" to the dashboard's figures, the time until the portal's landing
# page is usable, and the same load of the API reference page
# (/system/docs) as the reference.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
source scripts/bench-lib.sh
command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
prepare
trap stop_all EXIT
AS_SHIPPED=1 start_sluice
"$BIN/sluice" user add bench-admin --admin --password-stdin --data-dir "$DATA" <<<"bench-password-1" >/dev/null
OUT=$(cd console && SLUICE_URL="$BASE" CHROMIUM="$(command -v chromium)" ADMIN_USER=bench-admin \
  ADMIN_PASSWORD=bench-password-1 RUNS="${RUNS:-5}" node bench/first-load.mjs)
python3 - "$OUT" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
c, p, d = r["console"], r["portal"], r["reference_docs"]
print(f"  console  first load {c['bytes']/1024:7.1f} KiB (JavaScript {c['script_bytes']/1024:6.1f} KiB)  "
      f"sign-in form usable after {c['interactive_ms']} ms, dashboard {c['sign_in_to_dashboard_ms']} ms after Sign in")
print(f"  portal   first load {p['bytes']/1024:7.1f} KiB (JavaScript {p['script_bytes']/1024:6.1f} KiB)  "
      f"landing page usable after {p['interactive_ms']} ms")
print(f"  /system/docs (reference) {d['bytes']/1024:7.1f} KiB (JavaScript {d['script_bytes']/1024:6.1f} KiB)  usable after {d['interactive_ms']} ms")
print(f"  console / reference: bytes {c['bytes']/d['bytes']:.2f}, time {c['interactive_ms']/max(d['interactive_ms'],1):.2f}")
for name, x in (("console", c), ("portal", p)):
    ok = x["script_bytes"] <= 300 * 1024 and x["interactive_ms"] < 1000
    print(f"  {name} aim (< 300 KiB JavaScript gzipped, < 1 s):", "met" if ok else "NOT met")
PY
