#!/usr/bin/env bash
# Speed of `cimsim memtrace`: replays a 1M-request streaming trace and a 1M-request uniformly
# random trace (one request per memory cycle, DRAMsim3 text format) with the timing checker
# off, and prints requests per second of wall time and of CPU time (user + sys).
#
# usage: bench/memtrace_bench.sh [BUILD_DIR] [PRESET] [REQUESTS] [REPEATS]
#        defaults: build hbm2 1000000 3 (the best of REPEATS runs is reported)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
preset="${2:-hbm2}"
requests="${3:-1000000}"
repeats="${4:-3}"
cimsim="$build/cimsim"
[[ -x "$cimsim" ]] || { echo "no cimsim binary in $build (cmake --build $build)" >&2; exit 2; }
export CIMSIM_DATA_DIR="$here/.."

case "$preset" in
  hbm2) capacity=$((8 << 30)); burst=64 ;;
  hbm2e) capacity=$((80 << 30)); burst=32 ;;
  hbm3) capacity=$((80 << 30)); burst=32 ;;
  *) echo "unknown preset $preset (hbm2, hbm2e, hbm3)" >&2; exit 2 ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for pattern in stream random; do
  python3 "$here/gen_memtrace.py" --pattern "$pattern" --requests "$requests" \
    --capacity "$capacity" --burst "$burst" --out "$work/$pattern.trc"
done

echo "cimsim memtrace, preset $preset, $requests requests per trace, best of $repeats runs"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %12s %12s %14s %14s\n' trace wall_s cpu_s "req/s (wall)" "req/s (cpu)"
for pattern in stream random; do
  best_wall=""; best_cpu=""
  for ((i = 0; i < repeats; i++)); do
    out="$( { /usr/bin/time -f '%e %U %S' "$cimsim" memtrace --memory "$preset" \
              --trace "$work/$pattern.trc" --quiet; } 2>&1 )"
    read -r wall user sys <<<"$(tail -1 <<<"$out")"
    cpu="$(python3 -c "print($user + $sys)")"
    if [[ -z "$best_wall" ]] || python3 -c "import sys; sys.exit(0 if $wall < $best_wall else 1)"; then
      best_wall="$wall"
    fi
    if [[ -z "$best_cpu" ]] || python3 -c "import sys; sys.exit(0 if $cpu < $best_cpu else 1)"; then
      best_cpu="$cpu"
    fi
  done
  python3 -c "
w, c, n = $best_wall, $best_cpu, $requests
print('%-8s %12.3f %12.3f %14.3g %14.3g' % ('$pattern', w, c, n / max(w, 1e-9), n / max(c, 1e-9)))"
done
