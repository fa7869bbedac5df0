#!/usr/bin/env bash
# The test suite, from a fresh Debian machine: set-up (packages + build), then ctest.
# Extra arguments go to ctest (for example -R memory).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh" --test-deps
jobs=$(nproc 2>/dev/null || echo 2)
exec ctest --test-dir "$root/build" --output-on-failure -j "$jobs" "$@" </dev/null
