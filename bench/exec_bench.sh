#!/bin/sh
# nbsoar exec vs jupyter-execute vs the bare-protocol floor, side by side.
#   bench/exec_bench.sh [BUILD_DIR] [-r RUNS] [--long CELLS]
# Builds BUILD_DIR (default: build) first; prints a Markdown table for
# bench/RESULTS.md.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
ninja -C "$build" >/dev/null
exec /usr/bin/python3 "$here/exec_bench.py" "$build" "$@"
