#!/usr/bin/env python3
"""The training speed goals of docs/measurements.md, reproducibly.

Runs `convbench bench --dir fwd,bwd_d,bwd_w --sgemm-ref` on benchdnn's
ResNet-50 (at --mb 8) and SSD-ResNet34 training shapes (at --mb 4), from
tests/data/benchdnn, with im2col_gemm, fft, winograd_f2x3, winograd_f4x3,
onednn and onednn_native, and the large_kernel set (at --mb 8) with
im2col_gemm and fft, ROUNDS times, and prints the goals of the
training directions (docs/training.md, "Speed"):

  - im2col_gemm's median sgemm_frac per direction (its GEMM's own shape,
    timed in the same run);
  - winograd_f4x3 against onednn_native (and onednn) on the 3x3 stride-1
    layers with at least 64 input and output channels: the geometric mean
    over the distinct layers of each layer's ratio of medians;
  - fft against im2col_gemm on kernels of 5x5 and larger.

A layer's ratio is the median over the rounds of the ratio taken within
one round (the machine's state is shared within a run). With --breakdown
the runs also time execute's phases (phase_*_ms columns), and the script
prints, for the rows behind a goal missed, where the time goes.

    scripts/training_speed.py [--bin build/convbench] [--rounds 3]
                              [--threads 2] [--out DIR] [--breakdown]
                              [--csv R1.csv,R2.csv...]

--csv skips the runs and reads CSVs made before (one per round and set).
The CSVs stay in --out (default: a temporary directory, printed). Exit 2
on bad options, 1 when a run fails or a row does not pass.
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
ALGOS = ["im2col_gemm", "fft", "winograd_f2x3", "winograd_f4x3", "onednn",
         "onednn_native"]
DIRS = ["fwd", "bwd_d", "bwd_w"]
# name, shapes (a file of tests/data/benchdnn or a named set), batch,
# algorithms. large_kernel, at a training batch, is the territory the fft
# goal is about: the two training sets have no 5x5-or-larger kernel but
# their 7x7 stride-2 stems on 3 channels.
SETS = [("resnet_50", "shapes_resnet_50", 8, ALGOS),
        ("ssd_resnet34", "shapes_ssd_resnet34_training", 4, ALGOS),
        ("large_kernel", "large_kernel", 8, ["im2col_gemm", "fft"])]
PHASES = ["lower", "gemm", "col2im", "product", "forward", "inverse",
          "input", "output", "kernel", "reorder_in", "primitive",
          "reorder_out"]


def gmean(v):
    return math.exp(sum(map(math.log, v)) / len(v))


def winograd_layer(r):
    """3x3, stride 1, undilated, ungrouped, at least 64 channels each side."""
    i = lambda k: int(r[k])
    return (i("kh") == 3 and i("kw") == 3 and i("sh") == 1 and i("sw") == 1
            and i("dil_h") == 1 and i("dil_w") == 1 and i("g") == 1
            and i("ic") >= 64 and i("oc") >= 64)


def fft_layer(r):
    return int(r["kh"]) >= 5 and int(r["kw"]) >= 5


def load(paths):
    """{set: [round: {(dir, desc): {algo: row}}]}; bad: a row not passed."""
    runs, bad = {}, False
    for set_name, path in paths:
        rnd = {}
        for row in csv.DictReader(open(path)):
            if row["status"] == "UNSUPPORTED":
                continue
            if row["status"] != "PASSED":
                print("%s %s %s: %s %s" % (row["algo"], row["dir"], row["desc"],
                                           row["status"], row["reason"]),
                      file=sys.stderr)
                bad = True
                continue
            rnd.setdefault((row["dir"], row["desc"]), {})[row["algo"]] = row
        runs.setdefault(set_name, []).append(rnd)
    return runs, bad


def ratios(rounds, dir_, fast, slow, keep):
    """{desc: median over rounds of slow/fast median_ms} on layers keep()."""
    per = {}
    for rnd in rounds:
        for (d, desc), m in rnd.items():
            if d == dir_ and fast in m and slow in m and keep(m[fast]):
                per.setdefault(desc, []).append(
                    float(m[slow]["median_ms"]) / float(m[fast]["median_ms"]))
    return {k: statistics.median(v) for k, v in per.items()}


def phases(row):
    out = []
    for ph in PHASES:
        v = row.get("phase_%s_ms" % ph, "")
        if v not in ("", "nan"):
            out.append("%s %.2f" % (ph, float(v)))
    return ", ".join(out)


def report(runs, breakdown):
    print("\n## im2col_gemm: median sgemm_frac (its GEMM shape, same run)\n")
    print("| set | " + " | ".join(DIRS) + " |")
    print("| --- " * (len(DIRS) + 1) + "|")
    for set_name, rounds in runs.items():
        cells = []
        for d in DIRS:
            fr = [statistics.median(
                [float(m["im2col_gemm"]["sgemm_frac"])
                 for (dd, _), m in rnd.items()
                 if dd == d and "im2col_gemm" in m
                 and m["im2col_gemm"]["sgemm_frac"] not in ("", "nan")] or [math.nan])
                for rnd in rounds]
            fr = [f for f in fr if not math.isnan(f)]
            cells.append("%.2f" % statistics.median(fr) if fr else "-")
        print("| %s | %s |" % (set_name, " | ".join(cells)))

    goals = [("winograd_f4x3", "onednn_native", winograd_layer,
              "3x3 s1, >= 64 channels"),
             ("winograd_f4x3", "onednn", winograd_layer,
              "3x3 s1, >= 64 channels"),
             ("fft", "im2col_gemm", fft_layer, "kernels 5x5 and larger")]
    for fast, slow, keep, what in goals:
        print("\n## %s against %s (%s): geomean of %s/%s time ratios\n"
              % (fast, slow, what, slow, fast))
        print("| set | dir | layers | geomean | lowest | highest |")
        print("| --- | --- | --- | --- | --- | --- |")
        allr = {}
        for set_name, rounds in runs.items():
            for d in DIRS:
                r = ratios(rounds, d, fast, slow, keep)
                if not r:
                    continue
                allr.setdefault(d, []).extend(r.values())
                lo = min(r, key=r.get)
                print("| %s | %s | %d | %.2f | %.2f | %.2f |"
                      % (set_name, d, len(r), gmean(r.values()), r[lo],
                         max(r.values())))
        for d, v in allr.items():
            print("| both | %s | %d | %.2f | %.2f | %.2f |"
                  % (d, len(v), gmean(v), min(v), max(v)))
        print("\nper layer (median over rounds of the ratio; ms of the last round):\n")
        print("| set | dir | layer | %s ms | %s ms | ratio | %s phases |"
              % (fast, slow, fast))
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for set_name, rounds in runs.items():
            for d in DIRS:
                r = ratios(rounds, d, fast, slow, keep)
                for desc in sorted(r, key=r.get):
                    m = rounds[-1][(d, desc)]
                    print("| %s | %s | %s | %.2f | %.2f | %.2f | %s |"
                          % (set_name, d, desc, float(m[fast]["median_ms"]),
                             float(m[slow]["median_ms"]), r[desc],
                             phases(m[fast]) if breakdown else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "convbench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out")
    ap.add_argument("--breakdown", action="store_true")
    ap.add_argument("--csv", help="SET:FILE,... made before; no runs")
    a = ap.parse_args()
    if a.rounds < 1 or a.threads < 1:
        ap.error("--rounds and --threads must be positive")
    paths, bad = [], False
    if a.csv:
        for item in a.csv.split(","):
            set_name, sep, path = item.partition(":")
            if not sep or not os.path.isfile(path):
                ap.error("--csv %s: want SET:FILE of an existing file" % item)
            paths.append((set_name, path))
    else:
        if not os.access(a.bin, os.X_OK):
            ap.error("--bin %s: not an executable" % a.bin)
        out = a.out or tempfile.mkdtemp(prefix="training_speed.")
        os.makedirs(out, exist_ok=True)
        print("CSVs in %s" % out, flush=True)
        for r in range(a.rounds):
            for set_name, shapes, mb, algos in SETS:
                if shapes.startswith("shapes_"):  # else a named set
                    shapes = os.path.join(ROOT, "tests", "data", "benchdnn", shapes)
                path = os.path.join(out, "%s_mb%d_r%d.csv" % (set_name, mb, r + 1))
                cmd = [a.bin, "bench", "--algo", ",".join(algos), "--shapes", shapes,
                       "--mb", str(mb), "--dir", ",".join(DIRS), "--sgemm-ref",
                       "--threads", str(a.threads), "--csv", path, "--quiet"]
                if a.breakdown:
                    cmd.append("--breakdown")
                print("$ " + " ".join(cmd), flush=True)
                if subprocess.call(cmd, stdout=subprocess.DEVNULL) != 0:
                    print("failed: " + " ".join(cmd), file=sys.stderr)
                    bad = True
                paths.append((set_name, path))
    runs, bad_rows = load(paths)
    report(runs, a.breakdown)
    return 1 if bad or bad_rows else 0


if __name__ == "__main__":
    sys.exit(main())
