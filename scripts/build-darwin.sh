#!/usr/bin/env bash
# Compiles and links the macOS addon (src/binding.cc, src/keepalive.cc and
# src/keepalive_darwin.cc) for x86_64 and aarch64 with zig, to prove the
# platform layer builds there.
# Not shipped: it has not run on a Mac. N-API symbols resolve in the host
# process at load time (-undefined dynamic_lookup), as node-gyp does on macOS.
#
# Usage: bash scripts/build-darwin.sh OUT_DIR   (writes darwin-x64.node and darwin-arm64.node)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$(mkdir -p "${1:?usage: build-darwin.sh OUT_DIR}" && cd "$1" && pwd)"
zig="$(bash "$root/scripts/zig.sh")"
node_prefix="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
node_headers="$node_prefix/include/node"
[ -f "$node_headers/node_api.h" ] || { echo "build-darwin: no Node headers in $node_headers" >&2; exit 1; }
addon_api="$(cd "$root" && node -p "require('node:path').resolve(require('node-addon-api').include_dir)")"
for pair in x64:x86_64-macos arm64:aarch64-macos; do
  arch="${pair%%:*}"
  target="${pair#*:}"
  "$zig" c++ -target "$target" -std=c++17 -O2 -Wall -Wextra -Werror -fvisibility=hidden \
    -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED \
    -I "$node_headers" -I "$addon_api" \
    -shared -undefined dynamic_lookup \
    -o "$out/darwin-$arch.node" "$root/src/binding.cc" "$root/src/keepalive.cc" "$root/src/keepalive_darwin.cc"
  echo "build-darwin: wrote $out/darwin-$arch.node ($target)"
done
