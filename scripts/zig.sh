#!/usr/bin/env bash
# Prints the path of the pinned zig toolchain, installed on first use. zig
# cross-compiles C++ for musl and macOS with its own libc++ and libc headers.
exec bash "$(dirname "$0")/npm-tool.sh" zig
