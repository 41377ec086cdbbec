#!/usr/bin/env python3
"""scripts/training_speed.py's arithmetic on made-up CSVs (--csv: no runs):
per-layer ratios are medians over the rounds of the ratio within a round,
a set's figure their geometric mean over distinct layers, the Winograd
goal only counts 3x3 stride-1 layers with at least 64 channels each side,
the fft goal only kernels of 5x5 and larger, sgemm_frac is im2col_gemm's
median, UNSUPPORTED rows are skipped and a FAILED row makes the exit 1.

    test_training_speed.py ROOT
"""
import csv
import os
import subprocess
import sys
import tempfile

root = sys.argv[1]
script = os.path.join(root, "scripts", "training_speed.py")
COLS = ["algo", "dir", "desc", "status", "reason", "median_ms", "sgemm_frac",
        "g", "ic", "oc", "kh", "kw", "sh", "sw", "dil_h", "dil_w"]


def row(algo, d, desc, ms, ic=64, oc=64, k=3, s=1, status="PASSED", frac=""):
    return dict(algo=algo, dir=d, desc=desc, status=status, reason="",
                median_ms=str(ms), sgemm_frac=frac, g="1", ic=str(ic),
                oc=str(oc), kh=str(k), kw=str(k), sh=str(s), sw=str(s),
                dil_h="1", dil_w="1")


def write(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLS)
        w.writeheader()
        w.writerows(rows)


def rounds(native_l1):
    return [
        row("winograd_f4x3", "bwd_d", "L1", 1.0),
        row("onednn_native", "bwd_d", "L1", native_l1),
        # 32 channels: not a layer of the goal, whatever its ratio
        row("winograd_f4x3", "bwd_d", "L2", 1.0, ic=32),
        row("onednn_native", "bwd_d", "L2", 100.0, ic=32),
        row("winograd_f4x3", "bwd_d", "L3", 2.0, ic=128, oc=128),
        row("onednn_native", "bwd_d", "L3", 2.0, ic=128, oc=128),
        # stride 2: not a layer of the goal
        row("winograd_f4x3", "bwd_d", "L4", 1.0, s=2),
        row("onednn_native", "bwd_d", "L4", 50.0, s=2),
        row("fft", "bwd_w", "K5", 1.0, k=5),
        row("im2col_gemm", "bwd_w", "K5", 3.0, k=5, frac="0.5"),
        row("fft", "bwd_w", "K3", 1.0),
        row("im2col_gemm", "bwd_w", "K3", 7.0, frac="0.9"),
        row("im2col_gemm", "bwd_w", "K7", 2.0, k=7, frac="0.8"),
        row("fft", "bwd_w", "K7", 0.0, k=7, status="UNSUPPORTED"),
    ]


failures = 0


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAILED: ") + what)
    failures += not cond


with tempfile.TemporaryDirectory() as tmp:
    r1, r2 = os.path.join(tmp, "r1.csv"), os.path.join(tmp, "r2.csv")
    write(r1, rounds(2.0))
    write(r2, rounds(3.0))
    p = subprocess.run([sys.executable, script, "--csv",
                        "A:%s,A:%s" % (r1, r2)], capture_output=True, text=True)
    out = p.stdout
    check(p.returncode == 0, "exit 0 on passed and unsupported rows (%d: %s)"
          % (p.returncode, p.stderr.strip()))
    # L1: median of 2.0 and 3.0 = 2.5; L3: 1.0; geomean sqrt(2.5) = 1.58
    check("| A | bwd_d | 2 | 1.58 | 1.00 | 2.50 |" in out,
          "winograd goal: L1 and L3 only, median over rounds, geomean")
    check("| A | bwd_w | 1 | 3.00 | 3.00 | 3.00 |" in out,
          "fft goal: the 5x5 layer only, the unsupported 7x7 skipped")
    check("| A | - | - | 0.80 |" in out, "sgemm_frac: im2col_gemm's median")
    bad = rounds(2.0)
    bad[0]["status"] = "FAILED"
    write(r2, bad)
    p = subprocess.run([sys.executable, script, "--csv", "A:%s" % r2],
                       capture_output=True, text=True)
    check(p.returncode == 1, "exit 1 on a FAILED row (%d)" % p.returncode)
    p = subprocess.run([sys.executable, script, "--csv", "A:/nonexistent"],
                       capture_output=True, text=True)
    check(p.returncode == 2, "exit 2 on a missing --csv file (%d)" % p.returncode)

print("test_training_speed: %s" % ("all checks passed" if not failures
                                   else "%d check(s) failed" % failures))
sys.exit(1 if failures else 0)
