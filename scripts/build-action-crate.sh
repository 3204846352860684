#!/usr/bin/env bash
# Builds one action crate (a `sluice new` project, say) into a component:
#   scripts/build-action-crate.sh CRATE_DIR OUTPUT.wasm
# With rustup's wasm32-wasip2 target it is `cargo build --target
# wasm32-wasip2`; without it, it follows ../shared/WASM_TOOLCHAIN.md like
# scripts/build-actions.sh: Debian's rustc builds std for wasm32-wasip1 and
# sluice-componentize adapts the core module into a component. As there,
# -Cpanic=immediate-abort keeps std's panic printing (and with it every WASI
# import of a guest that prints nothing) out of the component.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="$(cd "$1" && pwd)"
OUTPUT="$2"
case "$OUTPUT" in /*) ;; *) OUTPUT="$PWD/$OUTPUT" ;; esac
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sluice/target}"
WASM_TARGET_DIR="${SLUICE_WASM_TARGET_DIR:-$HOME/.cache/sluice/target-wasm}"
CRATE=$(sed -n 's/^name = "\(.*\)"/\1/p' "$CRATE_DIR/Cargo.toml" | head -n 1 | tr - _)
mkdir -p "$(dirname "$OUTPUT")"

if rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
  (cd "$CRATE_DIR" && CARGO_TARGET_DIR="$WASM_TARGET_DIR" cargo build --release --target wasm32-wasip2)
  cp "$WASM_TARGET_DIR/wasm32-wasip2/release/$CRATE.wasm" "$OUTPUT"
else
  "$HERE/install-wasm-toolchain.sh"
  (cd "$CRATE_DIR" &&
    RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$WASM_TARGET_DIR" \
    CARGO_TARGET_WASM32_WASIP1_LINKER=/usr/lib/llvm-16/bin/wasm-ld \
    RUSTFLAGS="-C link-self-contained=no -L /usr/lib/wasm32-wasi -C link-arg=/usr/lib/wasm32-wasi/crt1-reactor.o -Zunstable-options -Cpanic=immediate-abort" \
    /usr/bin/cargo build --release --target wasm32-wasip1 -Zbuild-std=std,panic_abort)
  (cd "$HERE/.." && cargo build --release --quiet -p sluice-componentize)
  "$CARGO_TARGET_DIR/release/sluice-componentize" \
    "$WASM_TARGET_DIR/wasm32-wasip1/release/$CRATE.wasm" "$OUTPUT"
fi
