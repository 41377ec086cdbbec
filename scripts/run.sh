#!/usr/bin/env bash
# The main job: set up, then verify and benchmark the default problem set
# with every available algorithm in the three passes of a training step
# (fwd, bwd_d, bwd_w), writing results/NAME.csv, its .meta.json, a set of
# plots per direction with the training step totals, and the network and
# training step totals as text (NAME_summary.txt).
# Usage: scripts/run.sh [NAME] [extra convbench opts]; a --dir among them
# replaces the default (--dir all adds bwd_wb).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-latest}; shift || true
# Not bwd_wb: it is bwd_w plus one sum over dy (db), a quarter more rows
# whose times repeat bwd_w's; ctest's sweeps verify it (docs/scripts.md).
dirs=fwd,bwd_d,bwd_w
"$root/scripts/setup.sh" "$root/build"
out=$root/results/$name.csv
"$root/build/convbench" bench --shapes default --dir "$dirs" \
    --threads "$(nproc)" --sgemm-ref --csv "$out" "$@"
/usr/bin/python3 "$root/scripts/plot.py" "$out"
"$root/build/convbench" summary "$out" >"$root/results/${name}_summary.txt"
echo "results: $out, $out.meta.json, $root/results/${name}_summary.txt" \
    "and $root/results/${name}_*.png"
