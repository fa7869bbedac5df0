#!/bin/sh
# CIM fabric speed (bench/README.md, "CIM fabric"): wall and CPU time of the three reference
# runs on the isaac preset (chips auto), pinned to one core, best of N.
#
# usage: bench/cim_bench.sh [BUILD_DIR] [RUNS]
set -eu
build=${1:-build}
runs=${2:-3}
bin="$build/cimsim"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pin=""
if command -v taskset >/dev/null 2>&1; then pin="taskset -c 0"; fi

bench() {
  name=$1
  shift
  best=""
  i=0
  while [ "$i" -lt "$runs" ]; do
    # GNU time: elapsed wall s, user s, sys s, max RSS KB
    /usr/bin/time -f "%e %U %S %M" -o "$out/time" $pin "$bin" run --quiet --out "$out/$name.json" "$@"
    read -r wall user sys rss < "$out/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($wall < $best)}"; then
      best=$wall
      line=$(printf "%-22s wall %6.2f s  cpu %6.2f s  rss %5d MB" "$name" "$wall" \
        "$(awk "BEGIN{print $user + $sys}")" "$((rss / 1024))")
    fi
    i=$((i + 1))
  done
  echo "$line"
  python3 - "$out/$name.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for m in r["machines"]:
    lat = m["latency"]; met = m["metrics"]
    print(f"    simulated: {met['system']['chips']} chips, first token {lat['time_to_first_token_s']:.4g} s, "
          f"per token {lat.get('time_per_output_token_s', 0):.4g} s, {r.get('workload', {}).get('name', '')} "
          f"{m['totals']['ops']} ops, energy {m['totals']['energy_j']:.4g} J")
PY
}

bench gpt2-small-decoder --machine isaac --workload gpt2-small --mode decoder \
  --prompt 1024 --generate 128 --set workload.run.allow_context_overflow=true
bench llama-2-7b-decoder --machine isaac --workload llama-2-7b --mode decoder \
  --prompt 2048 --generate 32
bench gpt2-small-entp --machine isaac --workload gpt2-small --mode entp --generate 256
