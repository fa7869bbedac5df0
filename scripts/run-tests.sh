#!/usr/bin/env bash
# The test suite, from a fresh Debian machine (docs/testing.md):
#
#   1. set-up: Debian packages and the Release build in build/ (scripts/setup.sh --test-deps);
#   2. ctest on build/: every test group, the bad-input catalogue, determinism, integrity;
#   3. the sanitized pass: a second build in build-san/ with clang, AddressSanitizer +
#      UndefinedBehaviorSanitizer (CIMSIM_SANITIZE) and the libFuzzer harnesses (CIMSIM_FUZZ),
#      then ctest there: the whole suite under the sanitizers plus the three fuzz runs.
#
#   scripts/run-tests.sh [--quick] [CTEST ARGS ...]
#
# --quick (or CIMSIM_TESTS_QUICK=1) skips step 3, for local development.
# CIMSIM_FUZZ_SECONDS=N sets how long each fuzzer runs in step 3 (default 60).
# Extra arguments go to both ctest runs (for example -R memory, or -L fuzz).
# Runs without standard input (no prompts); as root it installs missing packages itself.
# Exit code: 0 when every step passed; otherwise that of the first step that failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=${CIMSIM_TESTS_QUICK:-0}
ctest_args=()
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) ctest_args+=("$arg") ;;
  esac
done
jobs=$(nproc 2>/dev/null || echo 2)
exec </dev/null

"$root/scripts/setup.sh" --test-deps
ctest --test-dir "$root/build" --output-on-failure -j "$jobs" ${ctest_args[@]+"${ctest_args[@]}"}

if [ "$quick" = 1 ]; then
  echo "run-tests: --quick: sanitized pass (build-san) skipped"
  exit 0
fi

# Step 3. RelWithDebInfo as -O1 -gline-tables-only, assertions on: quick to compile, fast
# enough that the suite's simulations stay short under the sanitizers, and line numbers in
# every report. build-san/ is kept between runs, so only what changed is rebuilt.
start=$(date +%s)
san_dir="$root/build-san"
"$root/scripts/setup.sh" --build-dir "$san_dir" --build-type RelWithDebInfo \
  --cmake-arg -DCMAKE_CXX_COMPILER=clang++ \
  --cmake-arg "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
  --cmake-arg -DCIMSIM_SANITIZE=ON --cmake-arg -DCIMSIM_FUZZ=ON \
  --cmake-arg "-DCIMSIM_FUZZ_SECONDS=${CIMSIM_FUZZ_SECONDS:-60}"
if [ -n "${CIMSIM_FUZZ_SECONDS:-}" ]; then  # a build dir configured earlier keeps its value
  cmake -S "$root" -B "$san_dir" -DCIMSIM_FUZZ_SECONDS="$CIMSIM_FUZZ_SECONDS" >/dev/null
fi
built=$(date +%s)
# Under the sanitizers the simulations run ~5-10x slower. Left out here, and run only in the
# Release pass above: the tests whose point is a size (the same code paths at small sizes are
# in the suite): fast-forward equal to full simulation on whole models, the 8192^3 GEMM, the
# attention traffic curves over N and SRAM size, serving GPT-2 small against every iteration
# simulated and on ISAAC (tests/serve has the same paths on a tiny model).
san_skip='FastForwardMatchesFullSimulationOn|Large8192Cubed|FlashMovesSeveralTimesLess|StandardHbmBytesGrowAsNSquared|ServeCli.ReuseIsWithin|ServeCli.BothMachinesSideBySide'
status=0
ctest --test-dir "$san_dir" --output-on-failure -j "$jobs" -E "$san_skip" \
  ${ctest_args[@]+"${ctest_args[@]}"} || status=$?
end=$(date +%s)
echo "run-tests: sanitized pass: build $((built - start)) s, tests $((end - built)) s"
exit "$status"
