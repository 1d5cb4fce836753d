#!/usr/bin/env bash
# Builds the musl prebuilds (Alpine and other musl Linux) on a glibc x86_64
# machine with zig (scripts/zig.sh):
#   prebuilds/linux-x64/tcp-keepalive.musl.node
#   prebuilds/linux-arm64/tcp-keepalive.musl.node
# beside the glibc ones, tagged so node-gyp-build picks by libc. zig links its
# libc++ statically, so each file needs only musl's libc at runtime; the
# version script (src/exports.map) keeps the exports to N-API's entry points.
#
# Usage: bash scripts/prebuild-musl.sh [OUT_DIR] [ARCH...]   (ARCH: x64 arm64; default both)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
fail() {
  printf 'prebuild-musl: %s\n' "$*" >&2
  exit 1
}
out="$(mkdir -p "${1:-$root}" && cd "${1:-$root}" && pwd)"
shift || true
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x64 arm64)
prebuildify="$root/node_modules/.bin/prebuildify"
[ -x "$prebuildify" ] || fail "$prebuildify not found; run npm ci first"
zig="$(bash "$root/scripts/zig.sh")"

if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  [ -f "$node_prefix/include/node/node_api.h" ] && export npm_config_nodedir="$node_prefix"
fi

for arch in "${arches[@]}"; do
  case "$arch" in
    x64) target=x86_64-linux-musl; machine='Advanced Micro Devices X86-64' ;;
    arm64) target=aarch64-linux-musl; machine=AArch64 ;;
    *) fail "unknown arch $arch (x64 or arm64)" ;;
  esac
  # A scratch copy, as scripts/prebuild-arm64.sh does: ./build stays the host's.
  staging="$(mktemp -d "${TMPDIR:-/tmp}/tcp-keepalive-musl-$arch.XXXXXX")"
  trap 'rm -rf "$staging"' EXIT
  cp "$root/binding.gyp" "$root/package.json" "$staging/"
  cp -R "$root/src" "$staging/src"
  ln -s "$root/node_modules" "$staging/node_modules"
  # gyp's Makefile runs CC/CXX/LINK as single commands: small wrappers carry the target.
  mkdir "$staging/bin"
  for tool in cc c++; do
    printf '#!/bin/sh\nexec "%s" %s -target %s "$@"\n' "$zig" "$tool" "$target" >"$staging/bin/zig-$tool"
    chmod +x "$staging/bin/zig-$tool"
  done
  printf '#!/bin/sh\nexec "%s" ar "$@"\n' "$zig" >"$staging/bin/zig-ar"
  chmod +x "$staging/bin/zig-ar"
  log="$staging/build.log"
  if ! CC="$staging/bin/zig-cc" CXX="$staging/bin/zig-c++" LINK="$staging/bin/zig-c++" AR="$staging/bin/zig-ar" \
    PREBUILD_LIBC=musl "$prebuildify" --napi --tag-libc --arch "$arch" --cwd "$staging" >"$log" 2>&1; then
    cat "$log" >&2
    fail "build for $target failed (log above)"
  fi
  # Only our sources must be warning-free; zig also prints what it sees while
  # building musl's own start files for the target.
  if grep -E 'warning:' "$log" | grep -v '/lib/libc/' >&2; then fail "compiler warnings above ($target)"; fi
  built="$staging/prebuilds/linux-$arch/tcp-keepalive.musl.node"
  [ -f "$built" ] || fail "prebuildify made no $built: $(ls -R "$staging/prebuilds" 2>&1)"
  readelf -h "$built" | grep -q "Machine:[[:space:]]*$machine" || fail "$built is not for $machine"
  dest="$out/prebuilds/linux-$arch"
  mkdir -p "$dest"
  cp "$built" "$dest/.tcp-keepalive.musl.node.tmp"
  mv -f "$dest/.tcp-keepalive.musl.node.tmp" "$dest/tcp-keepalive.musl.node"
  echo "prebuild-musl: wrote $dest/tcp-keepalive.musl.node"
  rm -rf "$staging"
  trap - EXIT
done
