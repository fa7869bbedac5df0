#!/usr/bin/env bash
# The main job, from a fresh Debian machine: set-up (packages + build), then the seed study
# (decoder vs ENTP on the A100 and on ISAAC, GPT-2 small). Fast version by default; pass
# --full for lengths up to 4096. Results: out/study/ (summary.md, figures, results.csv).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
exec /usr/bin/python3 "$root/scripts/study.py" "$@" </dev/null
