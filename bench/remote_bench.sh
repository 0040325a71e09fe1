#!/bin/sh
# The WebSocket transport (local jupyter-server) vs the ZMQ transport.
#   bench/remote_bench.sh [BUILD_DIR] [-r RUNS] [-n CELLS]
# Builds BUILD_DIR (default: build) first; prints a Markdown table for
# bench/RESULTS.md.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
ninja -C "$build" >/dev/null
exec /usr/bin/python3 "$here/remote_bench.py" "$build" "$@"
