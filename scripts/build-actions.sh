#!/usr/bin/env bash
# Builds the example actions into components: actions-examples/dist/*.wasm.
#
# With rustup's wasm32-wasip2 target (an ordinary developer machine) the
# build emits components directly. Without it, it follows
# ../shared/WASM_TOOLCHAIN.md: Debian's rustc builds std for wasm32-wasip1
# and sluice-componentize adapts the core modules into components.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
WASM_TARGET_DIR="${SLUICE_WASM_TARGET_DIR:-$HOME/.cache/sluice/target-wasm}"
DIST="$ROOT/actions-examples/dist"
mkdir -p "$DIST"
# Copies FROM to TO only when the bytes differ: the sluice binary embeds the
# built-ins, and a new mtime alone would make cargo rebuild it.
install_if_changed() { cmp -s "$1" "$2" || cp "$1" "$2"; }
CRATES=(hello echo misbehave spin todo proxy weather contact audit digest csv-report cli-data calendar-digest
  # The built-in actions, which the sluice binary embeds (runtime/src/builtins.rs).
  builtin-sql-table builtin-sql-query builtin-http-processor builtin-static-response builtin-redirect)

if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  (cd actions-examples && CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --release --target wasm32-wasip2)
  for c in "${CRATES[@]}"; do install_if_changed "$WASM_TARGET_DIR/wasm32-wasip2/release/${c//-/_}.wasm" "$DIST/$c.wasm"; done
else
  scripts/install-wasm-toolchain.sh
  # -Cpanic=immediate-abort drops std's panic printing, which is all that
  # made these modules import WASI (fd_write, environ_get, proc_exit): an
  # action that prints nothing then needs no preview-1 adapter, and each
  # request instantiates one core module instead of four (BENCHMARKS.md,
  # issue 13). A panic still traps (500 action-trapped), without its message.
  (cd actions-examples &&
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
    CARGO_TARGET_WASM32_WASIP1_LINKER=/usr/lib/llvm-16/bin/wasm-ld \
    RUSTFLAGS="-C link-self-contained=no -L /usr/lib/wasm32-wasi -C link-arg=/usr/lib/wasm32-wasi/crt1-reactor.o -Zunstable-options -Cpanic=immediate-abort" \
    /usr/bin/cargo build --release --target wasm32-wasip1 -Zbuild-std=std,panic_abort)
  cargo build --release --quiet -p sluice-componentize
  for c in "${CRATES[@]}"; do
    "$CARGO_TARGET_DIR/release/sluice-componentize" \
      "$WASM_TARGET_DIR/wasm32-wasip1/release/${c//-/_}.wasm" "$DIST/$c.wasm.new"
    install_if_changed "$DIST/$c.wasm.new" "$DIST/$c.wasm"
    rm -f "$DIST/$c.wasm.new"
  done
fi

# Python examples (actions-examples/python/NAME/app.py → dist/NAME-py.wasm),
# built with componentize-py against wit/ and the SDK in sdk-python/; the
# tool is pinned and installed once into a virtual environment of its own.
COMPONENTIZE_PY_VERSION=0.25.1
PY_VENV="$HOME/.cache/sluice/venv-componentize-py"
if ! "$PY_VENV/bin/componentize-py" --version 2>/dev/null | grep -qx "componentize-py $COMPONENTIZE_PY_VERSION"; then
  scripts/python-env.sh >/dev/null  # installs python3-venv where it is missing
  python3 -m venv --clear "$PY_VENV" >&2
  "$PY_VENV/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$COMPONENTIZE_PY_VERSION" >&2
fi
for dir in actions-examples/python/*/; do
  name=$(basename "$dir")
  out="$DIST/$name-py.wasm"
  # Rebuilt only when a source, the SDK or the WIT is newer than the component.
  if [[ -f "$out" ]] && [[ -z $(find "$dir" sdk-python/sluice wit -newer "$out" -name '*.py' -o -newer "$out" -name '*.wit' | head -1) ]]; then
    continue
  fi
  "$PY_VENV/bin/componentize-py" -d wit -w action componentize \
    -p sdk-python -p "$dir" app -o "$out" >/dev/null
done

# JavaScript and TypeScript examples (actions-examples/js/NAME/app.{js,ts} →
# dist/NAME-js.wasm): type-checked against sdk-js/index.d.ts, bundled with
# the SDK by rolldown (the WIT imports stay external), then built with
# componentize-js against wit/. The tools are pinned and installed once.
COMPONENTIZE_JS_VERSION=0.23.0
ROLLDOWN_VERSION=1.3.3
TYPESCRIPT_VERSION=7.0.2
JS_TOOLS="$HOME/.cache/sluice/js-tools"
# componentize-js imports preview2-shim but lists it only among its dev
# dependencies, so it is pinned here too.
JS_PINS="@bytecodealliance/componentize-js@$COMPONENTIZE_JS_VERSION @bytecodealliance/preview2-shim@0.17.9 rolldown@$ROLLDOWN_VERSION typescript@$TYPESCRIPT_VERSION"
if [[ "$(cat "$JS_TOOLS/.pins" 2>/dev/null)" != "$JS_PINS" ]]; then
  command -v npm >/dev/null || { sudo_apt=(); [[ $(id -u) == 0 ]] || sudo_apt=(sudo); "${sudo_apt[@]}" apt-get install -y -q nodejs npm >&2; }
  # rolldown and componentize-js need Node.js ^20.19 or >= 22.12.
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 12) || (a === 20 && b >= 19) ? 0 : 1)' || {
    echo "Node.js $(node --version) is too old for the JavaScript examples: install Node.js 20.19+ or 22.12+" >&2
    exit 1
  }
  mkdir -p "$JS_TOOLS"
  [[ -f "$JS_TOOLS/package.json" ]] || echo '{"private": true}' > "$JS_TOOLS/package.json"
  # shellcheck disable=SC2086 # the pins are separate arguments
  (cd "$JS_TOOLS" && npm install --no-audit --no-fund --silent --save-exact $JS_PINS >&2)
  echo "$JS_PINS" > "$JS_TOOLS/.pins"
fi
# The examples import `@sluice/sdk` as a user's project would.
mkdir -p actions-examples/js/node_modules/@sluice
ln -sfn "$ROOT/sdk-js" actions-examples/js/node_modules/@sluice/sdk
"$JS_TOOLS/node_modules/.bin/tsc" -p actions-examples/js/tsconfig.json
EXTERNAL=()
for interface in $(grep -oE '^\s+import [a-z-]+;' wit/action.wit | awk '{sub(";", "", $2); print $2}'); do
  EXTERNAL+=(--external "sluice:action/$interface@0.1.0")
done
for dir in actions-examples/js/*/; do
  name=$(basename "$dir")
  source="$dir"app.ts
  [[ -f "$source" ]] || source="$dir"app.js
  [[ -f "$source" ]] || continue
  out="$DIST/$name-js.wasm"
  if [[ -f "$out" ]] && [[ -z $(find "$dir" sdk-js/index.js sdk-js/src wit -newer "$out" -type f | head -1) ]]; then
    continue
  fi
  bundle="$WASM_TARGET_DIR/js/$name.js"
  "$JS_TOOLS/node_modules/.bin/rolldown" "$source" --format esm --platform neutral \
    "${EXTERNAL[@]}" --file "$bundle" --log-level warn >/dev/null
  "$JS_TOOLS/node_modules/.bin/componentize-js" --wit wit --world-name action \
    --disable http --disable fetch-event -o "$out" "$bundle" >/dev/null
done
ls -l "$DIST"
