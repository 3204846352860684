#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) one after another,
# each for SECONDS (default 600), niced so that other work keeps the CPU.
#
#   scripts/fuzz.sh                    every target, 600 s each
#   scripts/fuzz.sh routes 60          one target, 60 s
#   SANITIZER=none scripts/fuzz.sh     without AddressSanitizer (faster)
#
# Each run starts from the committed corpus (fuzz/corpus/<target>/, read
# only) and writes what it finds to fuzz/work/<target>/ (git-ignored);
# crashes, hangs and out-of-memory inputs go to fuzz/artifacts/<target>/.
# The log of each run is fuzz/logs/<target>.log; the last lines printed
# here are libFuzzer's figures (executions, coverage, corpus).
#
#   scripts/fuzz.sh min routes         adds to fuzz/corpus/routes/ the fewest
#                                      inputs of fuzz/work/routes/ that reach
#                                      an edge the committed corpus does not
#
# (a libFuzzer set-cover merge by edges alone, -use_counters=0: `cargo fuzz cmin`
# keeps every hit-count bucket too, thousands of files).
# cargo-fuzz needs nightly features: with a stable toolchain RUSTC_BOOTSTRAP=1
# lets it use them (set below).
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(oauth_form routes deploy_file json_schema component guest_response host_call)
target="${1:-all}"
seconds="${2:-600}"
sanitizer="${SANITIZER:-address}"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$PWD/fuzz/target"

if ! command -v cargo-fuzz >/dev/null; then
  nice -n 10 cargo install cargo-fuzz --locked
fi

if [[ "$target" == min ]]; then
  t="$seconds"
  nice -n 10 cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer" "$t"
  "fuzz/target/x86_64-unknown-linux-gnu/release/$t" -set_cover_merge=1 -use_counters=0 \
    "fuzz/corpus/$t" "fuzz/work/$t"
  echo "fuzz/corpus/$t: $(ls "fuzz/corpus/$t" | wc -l) files"
  exit 0
fi

if [[ "$target" == all ]]; then
  run=("${TARGETS[@]}")
else
  run=("$target")
fi

echo "==> building the fuzz targets (sanitizer: $sanitizer)"
nice -n 10 cargo fuzz build --fuzz-dir fuzz --sanitizer "$sanitizer"

mkdir -p fuzz/logs
for t in "${run[@]}"; do
  mkdir -p "fuzz/work/$t" "fuzz/artifacts/$t"
  echo "==> $t for ${seconds}s"
  status=0
  nice -n 10 cargo fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$t" \
    "fuzz/work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/" \
    $( [[ -f "fuzz/dicts/$t.dict" ]] && echo "-dict=fuzz/dicts/$t.dict" ) \
    >"fuzz/logs/$t.log" 2>&1 || status=$?
  grep -E '^#[0-9]+[[:space:]]+(DONE|NEW|REDUCE|pulse)' "fuzz/logs/$t.log" | tail -1 || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "fuzz/logs/$t.log" || true
  if [[ $status != 0 ]]; then
    echo "!! $t stopped with status $status: see fuzz/logs/$t.log and fuzz/artifacts/$t/"
    grep -E 'ERROR: libFuzzer|panicked at|SUMMARY' "fuzz/logs/$t.log" | head -5 || true
    exit "$status"
  fi
done
