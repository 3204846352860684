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
CRATES=(hello echo misbehave todo proxy weather contact audit digest)

if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  (cd actions-examples && CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --release --target wasm32-wasip2)
  for c in "${CRATES[@]}"; do cp "$WASM_TARGET_DIR/wasm32-wasip2/release/$c.wasm" "$DIST/$c.wasm"; done
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
      "$WASM_TARGET_DIR/wasm32-wasip1/release/$c.wasm" "$DIST/$c.wasm"
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
ls -l "$DIST"
