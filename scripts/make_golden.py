#!/usr/bin/python3
"""Regenerate or check the golden cases in tests/data/golden with PyTorch.

Each row of cases.tsv is one problem (docs/design.md §1 terms: ph/pw top/left
padding, ph_r/pw_r bottom/right, dh/dw dilation factors). The expected
output is torch's conv1d/conv2d computed in float64 on the float32 inputs
(after F.pad with the per-side padding), rounded to float32. A case with a
dy.npy (tests/data/golden_bwd, --dir to choose it) also has the gradients
of autograd in float64 for that output gradient (docs/design.md §14):
dx.npy (bwd_d), dw.npy (bwd_w) and, with a bias, db.npy.

  scripts/make_golden.py            check every committed y.npy (exit 1 on
                                    a mismatch)
  scripts/make_golden.py --write    recompute and rewrite every y.npy
  scripts/make_golden.py --new-inputs SEED --write
                                    draw new x, w, b (and dy where there is
                                    one) for the rand* cases
  scripts/make_golden.py --dir tests/data/golden_bwd [--write]
                                    the same for the backward cases

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


def expected(case, x, w, b, dy=None):
    """y, and with dy the gradients {dx, dw[, db]} by autograd."""
    c = {k: int(v) for k, v in case.items() if k not in ("name", "desc")}
    xt = torch.from_numpy(x).double().requires_grad_(dy is not None)
    wt = torch.from_numpy(w).double().requires_grad_(dy is not None)
    bt = None
    if b is not None:
        bt = torch.from_numpy(b).double().requires_grad_(dy is not None)
    x0 = xt
    if is_1d(case):
        xt = F.pad(xt, (c["pw"], c["pw_r"]))
        y = F.conv1d(xt, wt, bt, stride=c["sw"], dilation=c["dw"], groups=c["g"])
    else:
        xt = F.pad(xt, (c["pw"], c["pw_r"], c["ph"], c["ph_r"]))
        y = F.conv2d(xt, wt, bt, stride=(c["sh"], c["sw"]),
                     dilation=(c["dh"], c["dw"]), groups=c["g"])
    if dy is None:
        return y.float().numpy()
    y.backward(torch.from_numpy(dy).double())
    grads = {"dx": x0.grad, "dw": wt.grad}
    if bt is not None:
        grads["db"] = bt.grad
    return y.detach().float().numpy(), {
        k: v.float().numpy() for k, v in grads.items()}


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
        dyp = os.path.join(d, "dy.npy")
        if a.new_inputs is not None and case["name"].startswith("rand") \
                and os.path.exists(dyp):
            yshape = np.load(os.path.join(d, "y.npy")).shape
            save(dyp, rng.standard_normal(yshape))
        x = np.load(os.path.join(d, "x.npy"))
        w = np.load(os.path.join(d, "w.npy"))
        bp = os.path.join(d, "b.npy")
        b = np.load(bp) if os.path.exists(bp) else None
        out = {}
        if os.path.exists(dyp):
            out["y"], grads = expected(case, x, w, b, np.load(dyp))
            out.update(grads)
        else:
            out["y"] = expected(case, x, w, b)
        for k, v in out.items():
            path = os.path.join(d, k + ".npy")
            if a.write:
                save(path, v)
                continue
            ref = np.load(path)
            if ref.shape != v.shape or not np.array_equal(ref, v):
                diff = (np.abs(ref - v).max() if ref.shape == v.shape
                        else f"shape {ref.shape} vs {v.shape}")
                print(f"MISMATCH {case['name']} {k}: {diff}")
                bad += 1
    if not a.write:
        print(f"golden: {len(cases)} cases, {bad} tensor(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
