#!/usr/bin/python3
"""Regenerate or check the golden cases in tests/data/golden with PyTorch.

Each row of cases.tsv is one problem (docs/design.md §1 terms: ph/pw top/left
padding, ph_r/pw_r bottom/right, dh/dw dilation factors). The expected
output is torch's conv1d/conv2d computed in float64 on the float32 inputs
(after F.pad with the per-side padding), rounded to float32.

  scripts/make_golden.py            check every committed y.npy (exit 1 on
                                    a mismatch)
  scripts/make_golden.py --write    recompute and rewrite every y.npy
  scripts/make_golden.py --new-inputs SEED --write
                                    draw new x, w, b for the rand* cases

Needs Debian's python3-torch and python3-numpy (run with /usr/bin/python3).
The test suite does not run this script: it reads the committed files.
"""
import argparse
import csv
import os
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as e:
    sys.exit(f"make_golden.py: needs python3-torch and python3-numpy ({e})")

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "data", "golden")


def is_1d(case):
    return "ih" not in case["desc"] and int(case["kh"]) == 1


def expected(case, x, w, b):
    c = {k: int(v) for k, v in case.items() if k not in ("name", "desc")}
    xt = torch.from_numpy(x).double()
    wt = torch.from_numpy(w).double()
    bt = torch.from_numpy(b).double() if b is not None else None
    if is_1d(case):
        xt = F.pad(xt, (c["pw"], c["pw_r"]))
        y = F.conv1d(xt, wt, bt, stride=c["sw"], dilation=c["dw"], groups=c["g"])
    else:
        xt = F.pad(xt, (c["pw"], c["pw_r"], c["ph"], c["ph_r"]))
        y = F.conv2d(xt, wt, bt, stride=(c["sh"], c["sw"]),
                     dilation=(c["dh"], c["dw"]), groups=c["g"])
    return y.float().numpy()


def save(path, a):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".npy")
    os.close(fd)
    np.save(tmp, np.ascontiguousarray(a, dtype=np.float32))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default=GOLDEN, help="golden folder")
    ap.add_argument("--write", action="store_true", help="rewrite y.npy")
    ap.add_argument("--new-inputs", type=int, metavar="SEED",
                    help="draw new inputs for the rand* cases (with --write)")
    a = ap.parse_args()
    if a.new_inputs is not None and not a.write:
        ap.error("--new-inputs needs --write")
    with open(os.path.join(a.dir, "cases.tsv")) as f:
        cases = list(csv.DictReader(f, delimiter="\t"))
    bad = 0
    rng = np.random.default_rng(a.new_inputs)
    for case in cases:
        d = os.path.join(a.dir, case["name"])
        c = {k: int(v) for k, v in case.items() if k not in ("name", "desc")}
        if a.new_inputs is not None and case["name"].startswith("rand"):
            sp = [c["n"], c["ic"], c["ih"], c["iw"]]
            ws = [c["oc"], c["ic"] // c["g"], c["kh"], c["kw"]]
            if is_1d(case):
                del sp[2], ws[2]
            save(os.path.join(d, "x.npy"), rng.standard_normal(sp))
            save(os.path.join(d, "w.npy"), rng.standard_normal(ws))
            bp = os.path.join(d, "b.npy")
            if c["bias"]:
                save(bp, rng.standard_normal(c["oc"]))
            elif os.path.exists(bp):
                os.remove(bp)
        x = np.load(os.path.join(d, "x.npy"))
        w = np.load(os.path.join(d, "w.npy"))
        bp = os.path.join(d, "b.npy")
        b = np.load(bp) if os.path.exists(bp) else None
        y = expected(case, x, w, b)
        if a.write:
            save(os.path.join(d, "y.npy"), y)
            continue
        ref = np.load(os.path.join(d, "y.npy"))
        if ref.shape != y.shape or not np.array_equal(ref, y):
            diff = (np.abs(ref - y).max() if ref.shape == y.shape
                    else f"shape {ref.shape} vs {y.shape}")
            print(f"MISMATCH {case['name']}: {diff}")
            bad += 1
    if not a.write:
        print(f"golden: {len(cases) - bad} match, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
