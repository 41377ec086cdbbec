#!/usr/bin/env python3
"""The Winograd speed table of docs/measurements.md, reproducibly.

Runs `convbench bench` on the 3x3 stride-1 layers with at least 64
channels of ResNet-50 and VGG-19 (12 layers, from tests/data/benchdnn)
with im2col_gemm, winograd_f2x3, winograd_f4x3 and onednn_native, ROUNDS
times per batch size, and prints per pair of algorithms the geometric mean
over the layers of each layer's ratio of medians (the median of that ratio
over the rounds: ratios are taken within one run, where the machine's
state is shared), and the lowest layer.

    scripts/winograd_speed.py [--bin build/convbench] [--mb 1,8]
                              [--rounds 3] [--threads 2] [--out DIR]

The CSVs of every round stay in --out (default: a temporary directory,
printed). Exit 2 on bad options, 1 when a run fails or a row does not pass.
"""
import argparse
import csv
import math
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ALGOS = ["im2col_gemm", "winograd_f2x3", "winograd_f4x3", "onednn_native"]
PAIRS = [("winograd_f4x3", "winograd_f2x3"),
         ("winograd_f4x3", "onednn_native"),
         ("winograd_f2x3", "onednn_native"),
         ("winograd_f2x3", "im2col_gemm"),
         ("winograd_f4x3", "im2col_gemm")]


def layers():
    out = []
    for net in ("shapes_resnet_50", "shapes_vgg_19"):
        path = os.path.join(ROOT, "tests", "data", "benchdnn", net)
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#") and "kh3ph1n" in line \
                    and "conv1_1" not in line:
                out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "convbench"))
    ap.add_argument("--mb", default="1,8")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    a = ap.parse_args()
    try:
        mbs = [int(m) for m in a.mb.split(",")]
    except ValueError:
        ap.error("--mb: a comma-separated list of batch sizes")
    if a.rounds < 1 or a.threads < 1 or any(m < 1 for m in mbs):
        ap.error("--rounds, --threads and --mb must be positive")
    if not os.access(a.bin, os.X_OK):
        ap.error("--bin %s: not an executable" % a.bin)
    out = a.out or tempfile.mkdtemp(prefix="winograd_speed.")
    os.makedirs(out, exist_ok=True)
    shapes = os.path.join(out, "l3.txt")
    with open(shapes, "w") as f:
        f.write("\n".join(layers()) + "\n")
    print("layers: %s; CSVs in %s" % (shapes, out))
    print("| mb | " + " | ".join("%s / %s" % (x[9:] if x.startswith("winograd") else x,
                                            y[9:] if y.startswith("winograd") else y)
                                 for x, y in PAIRS) + " |")
    print("| --- " * (len(PAIRS) + 1) + "|")
    bad = False
    for mb in mbs:
        ratios = {}
        for r in range(a.rounds):
            path = os.path.join(out, "l3_mb%d_r%d.csv" % (mb, r + 1))
            cmd = [a.bin, "bench", "--algo", ",".join(ALGOS), "--shapes", shapes,
                   "--mb", str(mb), "--threads", str(a.threads), "--csv", path,
                   "--quiet"]
            if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0:
                print("failed: " + " ".join(cmd), file=sys.stderr)
                bad = True
            med = {}
            for row in csv.DictReader(open(path)):
                if row["status"] != "PASSED":
                    print("%s %s: %s" % (row["algo"], row["desc"], row["status"]),
                          file=sys.stderr)
                    bad = True
                    continue
                med.setdefault(row["desc"], {})[row["algo"]] = float(row["median_ms"])
            for d, m in med.items():
                for x, y in PAIRS:
                    if x in m and y in m:
                        ratios.setdefault((x, y), {}).setdefault(d, []).append(m[y] / m[x])
        cells = []
        for pair in PAIRS:
            per = [statistics.median(v) for v in ratios.get(pair, {}).values()]
            if not per:
                cells.append("-")
                continue
            g = math.exp(sum(map(math.log, per)) / len(per))
            cells.append("%.2f (%.2f)" % (g, min(per)))
        print("| %d | %s |" % (mb, " | ".join(cells)), flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
