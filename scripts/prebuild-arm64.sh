#!/usr/bin/env bash
# Cross-compiles the linux-arm64 prebuild on an x86_64 Linux machine:
#   prebuilds/linux-arm64/tcp-keepalive.glibc.node
# next to the linux-x64 one that `npm run prebuilds:x64` makes, so one package
# serves both. N-API headers are the same on every architecture, so the
# machine's own Node headers (nodedir) are all node-gyp needs; only the
# compiler, linker and strip change.
#
# Usage: bash scripts/prebuild-arm64.sh [OUT_DIR]
#   OUT_DIR  where prebuilds/linux-arm64/ is written (default: the repo root)
# Environment:
#   CROSS_COMPILE  tool prefix (default aarch64-linux-gnu-, Debian's
#                  g++-aarch64-linux-gnu package)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cross="${CROSS_COMPILE:-aarch64-linux-gnu-}"

fail() {
  printf 'prebuild-arm64: %s\n' "$*" >&2
  exit 1
}

# Check every tool up front, for one clear message instead of a make error
# deep in node-gyp's output. (The trap this script exists to avoid:
# `prebuildify --arch arm64` without CC/CXX succeeds, builds with the host g++
# and puts an x86-64 file in prebuilds/linux-arm64.)
for tool in gcc g++ ar strip readelf; do
  command -v "${cross}${tool}" >/dev/null 2>&1 ||
    fail "cross compiler tool '${cross}${tool}' not found. Install it with: apt-get install g++-aarch64-linux-gnu"
done
prebuildify="$root/node_modules/.bin/prebuildify"
[ -x "$prebuildify" ] || fail "$prebuildify not found; run npm ci first"
out="$(mkdir -p "${1:-$root}" && cd "${1:-$root}" && pwd)"

# node-gyp reads nodedir only from npm_config_nodedir (npm sets it from .npmrc
# under `npm run`). Run directly, point it at the headers installed with this
# Node, as .ci/run does, so the build never downloads headers.
if [ -z "${npm_config_nodedir:-}" ]; then
  node_prefix="$(dirname "$(dirname "$(command -v node)")")"
  if [ -f "$node_prefix/include/node/node_api.h" ]; then
    export npm_config_nodedir="$node_prefix"
  fi
fi

# Build in a scratch copy, not in ./build: node-gyp rebuild would wipe the
# local x64 build that the tests load, and leave build/ configured for arm64.
staging="$(mktemp -d "${TMPDIR:-/tmp}/tcp-keepalive-arm64.XXXXXX")"
trap 'rm -rf "$staging"' EXIT
cp "$root/binding.gyp" "$root/package.json" "$staging/"
cp -R "$root/src" "$staging/src"
# binding.gyp asks node for node-addon-api's include dir, and prebuildify runs
# node-gyp from node_modules/.bin: both resolve through this link.
ln -s "$root/node_modules" "$staging/node_modules"

# gyp's make generator takes CC/CXX (and LINK, defaulting to CXX) from the
# environment; --arch arm64 goes to node-gyp as --arch, which sets
# target_arch, and to prebuildify, which names the folder linux-arm64.
# --strip runs PREBUILD_STRIP_BIN, which must be the cross strip: the host
# strip cannot read an aarch64 file.
log="$staging/build.log"
if ! CC="${cross}gcc" CXX="${cross}g++" LINK="${cross}g++" AR="${cross}ar" \
  "$prebuildify" --napi --tag-libc --strip --strip-bin "${cross}strip" --arch arm64 --cwd "$staging" >"$log" 2>&1; then
  cat "$log" >&2
  fail "build failed (log above)"
fi
if grep -E 'warning:' "$log" >&2; then
  echo "prebuild-arm64: compiler warnings above" >&2
fi

built="$staging/prebuilds/linux-arm64/tcp-keepalive.glibc.node"
[ -f "$built" ] || fail "prebuildify made no $built"
# The one check that matters: the file is for AArch64, not the host.
"${cross}readelf" -h "$built" | grep -Eq 'Machine:[[:space:]]+AArch64' ||
  fail "$built is not an AArch64 ELF: $("${cross}readelf" -h "$built" | grep Machine:)"

# Copy rather than let prebuildify write into OUT_DIR: it moves the file with
# rename(2), which fails when the scratch dir is on another filesystem. Copy
# next to the target, then rename over it, so a reader never sees half a file.
dest="$out/prebuilds/linux-arm64"
mkdir -p "$dest"
cp "$built" "$dest/.tcp-keepalive.glibc.node.tmp"
mv -f "$dest/.tcp-keepalive.glibc.node.tmp" "$dest/tcp-keepalive.glibc.node"
echo "prebuild-arm64: wrote $dest/tcp-keepalive.glibc.node"
