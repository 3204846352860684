#!/usr/bin/env bash
# Installs what building wasm needs when rustup cannot add wasm32-wasip2:
# Debian's second Rust toolchain with std sources, wasm-ld and wasi-libc
# (see ../shared/WASM_TOOLCHAIN.md). Does nothing when they are present.
set -euo pipefail
if [[ -x /usr/bin/cargo && -x /usr/bin/rustc && -x /usr/lib/llvm-16/bin/wasm-ld && -d /usr/lib/wasm32-wasi ]] \
   && ls /usr/lib/rustlib/src/rust/library >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rustc-web cargo-web rust-web-src lld-16 wasi-libc >/dev/null
