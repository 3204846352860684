#!/usr/bin/env bash
# Resident memory of a fresh node as actions are uploaded: started, then
# after `hello` (Rust), `hello-py` (Python), `hello-js` (JavaScript) and
# every other component in actions-examples/dist. RSS (VmRSS of
# /proc/PID/status, MiB) is read as soon as each upload has answered: the
# server has compiled the component by then. Also shows, after the last
# upload, how much of it is compiled code (anonymous executable and
# read-only mappings, wasmtime's loaded images) and how much is heap.
#
#   scripts/bench-memory.sh [SLUICE [OTHER_SLUICE]] [ROUNDS]
#   (no binary: builds and measures this checkout's release build; two:
#   measures both, interleaved, a fresh node per round; ROUNDS default 3;
#   prints the median of the rounds per step)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
. scripts/bench-lib.sh
bins=()
while [[ $# -gt 0 && -f "$1" ]]; do bins+=("$1"); shift; done
ROUNDS=${1:-3}
if [[ ${#bins[@]} == 0 ]]; then
  prepare
  bins=("$BIN/sluice")
else
  scripts/build-actions.sh >/dev/null
  print_machine
  WORK=$(mktemp -d)
  chmod 755 "$WORK"
  PIDS=()
fi
trap stop_all EXIT
steps=(hello hello-py hello-js)
others=()
for f in actions-examples/dist/*.wasm; do
  n=$(basename "$f" .wasm)
  [[ " ${steps[*]} " == *" $n "* ]] || others+=("$n")
done

# mib FILE FIELD: FIELD (e.g. VmRSS:) of a /proc file, MiB.
mib() { awk -v f="$2" '$1 == f {printf "%.0f", $2 / 1024}' "$1"; }

# split PID: compiled code and the rest of the anonymous memory, MiB.
split() {
  python3 - "$1" <<'PY'
import re, sys
code = anon = 0
perms = path = None
for line in open(f"/proc/{sys.argv[1]}/smaps"):
    m = re.match(r"^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \d+\s*(.*)$", line)
    if m:
        perms, path = m.group(1), m.group(2)
    elif line.startswith("Rss:") and not path.startswith("/"):
        kib = int(line.split()[1])
        if not path and perms.startswith(("r-x", "r--")):
            code += kib
        else:
            anon += kib
print(f"{code / 1024:.0f} {anon / 1024:.0f}")
PY
}

# one LABEL BINARY: a fresh node of BINARY; appends "LABEL STEP MiB" lines
# to $WORK/rss.
one() {
  local label=$1 n
  mkdir -p "$WORK/bin-$label"
  cp "$2" "$WORK/bin-$label/sluice"
  BIN="$WORK/bin-$label" AS_SHIPPED=1 start_sluice
  echo "$label started $(mib /proc/$SLUICE_PID/status VmRSS:)" >>"$WORK/rss"
  for n in "${steps[@]}"; do
    upload_action "$n"
    echo "$label +$n $(mib /proc/$SLUICE_PID/status VmRSS:)" >>"$WORK/rss"
  done
  for n in "${others[@]}"; do upload_action "$n"; done
  echo "$label +all-${#others[@]}-others $(mib /proc/$SLUICE_PID/status VmRSS:)" >>"$WORK/rss"
  read -r code anon < <(split "$SLUICE_PID")
  echo "$label code-in-the-end $code" >>"$WORK/rss"
  echo "$label anon-rw-in-the-end $anon" >>"$WORK/rss"
  kill "$SLUICE_PID"
  wait "$SLUICE_PID" 2>/dev/null || true
}

for round in $(seq 1 "$ROUNDS"); do
  order=("${!bins[@]}")
  ((round % 2 == 0)) && order=($(printf '%s\n' "${order[@]}" | tac))
  for i in "${order[@]}"; do one "$((i + 1))" "${bins[$i]}"; done
done
for i in "${!bins[@]}"; do echo "binary $((i + 1)): ${bins[$i]}"; done
python3 - "$WORK/rss" "${#bins[@]}" "$ROUNDS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    label, step, mib = line.split()
    rows.setdefault(step, {}).setdefault(label, []).append(int(mib))
labels = [str(i + 1) for i in range(int(sys.argv[2]))]
print(f"RSS, MiB, median of {sys.argv[3]} fresh nodes (runs in brackets)")
print(f"{'step':28}" + "".join(f"{'binary ' + l:>30}" for l in labels))
for step, by in rows.items():
    cells = [f"{statistics.median(by[l]):.0f} {sorted(by[l])}" for l in labels]
    print(f"{step:28}" + "".join(f"{c:>30}" for c in cells))
PY
