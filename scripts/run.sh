#!/usr/bin/env bash
# The main job: set up, then verify and benchmark the default problem set
# with every available algorithm in every direction (fwd, bwd_d, bwd_w,
# bwd_wb), writing results/NAME.csv, its .meta.json, a set of
# plots per direction with the training step totals, and the network and
# training step totals as text (NAME_summary.txt).
# Usage: scripts/run.sh [NAME] [extra convbench opts]; a --dir among them
# replaces the default (--dir fwd: the forward-only job).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-latest}; shift || true
dirs=all
"$root/scripts/setup.sh" "$root/build"
out=$root/results/$name.csv
"$root/build/convbench" bench --shapes default --dir "$dirs" \
    --threads "$(nproc)" --sgemm-ref --csv "$out" "$@"
/usr/bin/python3 "$root/scripts/plot.py" "$out"
"$root/build/convbench" summary "$out" >"$root/results/${name}_summary.txt"
echo "results: $out, $out.meta.json, $root/results/${name}_summary.txt" \
    "and $root/results/${name}_*.png"
