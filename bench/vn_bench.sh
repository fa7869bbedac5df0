#!/bin/sh
# Speed benchmarks of the von Neumann machine (bench/README.md, section "von Neumann machine").
# usage: bench/vn_bench.sh [BUILD_DIR]   (default: build). Prints wall time, CPU time and peak
# memory of each run; not a test (timings depend on the machine and its load).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
export CIMSIM_DATA_DIR="$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
run() {
  label=$1
  shift
  /usr/bin/time -f "$label: %e s wall, %U s user, %M KiB peak RSS" \
    "$build/cimsim" run --quiet --out "$out/report.json" "$@"
  python3 - "$out/report.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))["machines"][0]
ff = m["metrics"]["fast_forward"]
lat = m["latency"]
print("  simulated %.4g s, TTFT %.4g s, %.4g s/token, ops simulated %d, fast-forwarded %d" % (
    m["totals"]["seconds"], lat["time_to_first_token_s"], lat.get("time_per_output_token_s", 0),
    ff["ops_simulated"], ff["ops_fast_forwarded"]))
PY
}
run "gpt2-small 1024+128 on a100-sxm4-80gb" --machine a100-sxm4-80gb --workload gpt2-small \
  --prompt 1024 --generate 128 --set workload.run.allow_context_overflow=true
run "llama-2-7b 2048+128 on a100-sxm4-80gb" --machine a100-sxm4-80gb --workload llama-2-7b \
  --prompt 2048 --generate 128
