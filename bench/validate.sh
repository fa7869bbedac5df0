#!/bin/sh
# The full validation table (scripts/validate.py): every published figure re-run with the
# presets' defaults; writes docs/validation.md. Minutes of CPU time; not a test.
# usage: bench/validate.sh [BUILD_DIR] [JOBS]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
exec python3 "$root/scripts/validate.py" --cimsim "$build/cimsim" --jobs "${2:-1}" \
  --out "$root/docs/validation.md"
