#!/bin/sh
# nbsoar cortex vs the Python Jupyter responder's approach (papermill per
# notebook, one after another) on one Cortex job with three notebooks.
#   bench/cortex_bench.sh [BUILD_DIR] [-r RUNS]
# Builds BUILD_DIR (default: build) first; prints Markdown for bench/RESULTS.md.
# papermill comes from $PAPERMILL (default /work/papermill) on Debian's
# python3-nbclient, -click, -yaml, -tqdm, -requests, -entrypoints, -tenacity.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
[ $# -gt 0 ] && shift
ninja -C "$build" >/dev/null
exec /usr/bin/python3 "$here/cortex_bench.py" "$build" "$@"
