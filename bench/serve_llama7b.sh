#!/bin/sh
# Serving speed target of issue #17 item 5: 1,000 requests of a chat-like trace (Poisson
# arrivals at 4 requests/s; log-normal prompts of mean ~512 tokens and outputs of mean ~128,
# sigma 1) on Llama-2-7B, continuous batching, a100-sxm4-80gb; target <= 5 minutes wall.
#   bench/serve_llama7b.sh [BUILD_DIR] [OUT.json]
set -eu
BUILD=${1:-build}
OUT=${2:-/tmp/serve_llama7b.json}
# Log-normal mean = median x exp(sigma^2 / 2): 310 x 1.65 = 511, 78 x 1.65 = 129.
GEN='{"count": 1000, "rate_per_s": 4, "seed": 1,
 "prompt": {"distribution": "lognormal", "median": 310, "sigma": 1.0, "min": 4, "max": 3072},
 "output": {"distribution": "lognormal", "median": 78, "sigma": 1.0, "min": 2, "max": 1024}}'
/usr/bin/time -f "wall %e s, cpu %U+%S s, peak RSS %M KiB" \
  "$BUILD/cimsim" serve --machine a100-sxm4-80gb --workload llama-2-7b \
  --scheduler continuous --generate "$GEN" --out "$OUT"
