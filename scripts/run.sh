#!/usr/bin/env bash
# The main job: set up, then verify and benchmark the default problem set
# with every available algorithm, writing results/NAME.csv, its
# .meta.json and plots. Usage: scripts/run.sh [NAME] [extra convbench opts]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-latest}; shift || true
"$root/scripts/setup.sh" "$root/build"
out=$root/results/$name.csv
"$root/build/convbench" bench --shapes default --threads "$(nproc)" \
    --sgemm-ref --csv "$out" "$@"
/usr/bin/python3 "$root/scripts/plot.py" "$out"
echo "results: $out, $out.meta.json and $root/results/${name}_*.png"
