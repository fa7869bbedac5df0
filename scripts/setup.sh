#!/usr/bin/env bash
# Installs what cimsim needs (Debian packages only) and builds it. Idempotent: when every
# package is present and the build is up to date it only checks and returns.
#
#   scripts/setup.sh [--test-deps] [--build-dir DIR] [--build-type Release|Debug|RelWithDebInfo]
#                    [--cmake-arg ARG ...]
#
# --test-deps also installs what the test suite needs (Slurm + munge for the Slurm sweep test,
# clang's libFuzzer/sanitizer runtime). Runs without standard input.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$root/build"
build_type=Release
test_deps=0
cmake_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --test-deps) test_deps=1 ;;
    --build-dir) build_dir=$(realpath -m "$2"); shift ;;
    --build-type) build_type="$2"; shift ;;
    --cmake-arg) cmake_args+=("$2"); shift ;;
    *) echo "setup.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done

packages=(cmake g++ make pkg-config libsystemc-dev libboost-program-options-dev
          nlohmann-json3-dev libgtest-dev googletest python3 python3-matplotlib python3-numpy
          python3-jsonschema)
if [ "$test_deps" = 1 ]; then
  packages+=(slurm-wlm munge clang libclang-rt-14-dev procps)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    echo "setup: missing Debian packages: ${missing[*]} (run as root or install them)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq </dev/null
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="$build_type" -DCIMSIM_UNITY_BUILD=ON \
    "${cmake_args[@]}" >/dev/null
fi
if ! cmake --build "$build_dir" -j "$jobs" >"$build_dir/build.log" 2>&1; then
  grep -E 'error|Error' "$build_dir/build.log" | head -40 >&2 || tail -40 "$build_dir/build.log" >&2
  echo "setup: build failed (full log: $build_dir/build.log)" >&2
  exit 1
fi
