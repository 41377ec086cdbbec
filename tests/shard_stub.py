#!/usr/bin/env python3
"""A stand-in for convbench's `--shard I/N`, `--resume` and `merge` (DESIGN
§15) while they are not in the C harness: it proves the scripts and tests
around them (scripts/slurm-array.sh, scripts/parallel-shards.sh,
tests/test_parallel_shards.sh, tests/test_slurm.sh), not convbench.

    CONVBENCH_REAL=build/convbench tests/shard_stub.py verify ... --shard 2/3 --csv F
    tests/shard_stub.py merge A.csv B.csv ... -o ALL.csv [--allow-missing]

verify/bench with --shard: runs the real convbench on every problem, keeps
the rows of problems k (in order of first appearance) with k % N == I - 1,
and writes them to F, the meta to F.meta.json with "shard": "I/N". Exit 1
when a kept row FAILED or is an ERROR, as convbench. --resume is dropped.
merge: joins the shards' rows under one header; exit 2 on a missing,
duplicate or inconsistent shard (unless --allow-missing), as the contract.
Any other command goes to the real convbench unchanged.
"""
import csv
import json
import os
import subprocess
import sys
import tempfile


def real():
    return os.environ.get("CONVBENCH_REAL") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "build", "convbench")


def fail(msg):
    print("shard_stub: " + msg, file=sys.stderr)
    sys.exit(2)


def sharded(argv):
    args, shard, csv_path = [], None, None
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == "--shard":
            shard = argv[i + 1]
            i += 2
        elif a == "--csv":
            csv_path = argv[i + 1]
            i += 2
        elif a == "--resume":
            i += 1
        else:
            args.append(a)
            i += 1
    if shard is None:
        os.execv(real(), [real()] + argv)
    try:
        k, n = (int(x) for x in shard.split("/"))
    except ValueError:
        fail("--shard takes I/N")
    if not 1 <= k <= n:
        fail("--shard I/N needs 1 <= I <= N")
    if csv_path is None:
        fail("--shard needs --csv in this stub")
    with tempfile.TemporaryDirectory() as t:
        tmp = os.path.join(t, "all.csv")
        r = subprocess.run([real(), argv[0]] + args + ["--csv", tmp])
        if r.returncode not in (0, 1):
            return r.returncode
        with open(tmp, newline="") as f:
            rows = list(csv.reader(f))
        with open(tmp + ".meta.json") as f:
            meta = json.load(f)
    head, rows = rows[0], rows[1:]
    d = head.index("desc")
    order = {}
    for row in rows:
        order.setdefault(row[d], len(order))
    kept = [row for row in rows if order[row[d]] % n == k - 1]
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        w.writerows(kept)
    meta["shard"] = shard
    meta["rows_done"] = meta["rows_planned"] = len(kept)
    with open(csv_path + ".meta.json", "w") as f:
        json.dump(meta, f, indent=2)
    s = head.index("status")
    return 1 if any(row[s] in ("FAILED", "ERROR") for row in kept) else 0


def merge(argv):
    files, out, allow_missing = [], None, False
    i = 1
    while i < len(argv):
        if argv[i] == "-o":
            out = argv[i + 1]
            i += 2
        elif argv[i] == "--allow-missing":
            allow_missing = True
            i += 1
        else:
            files.append(argv[i])
            i += 1
    if out is None or not files:
        fail("merge A.csv B.csv ... -o ALL.csv [--allow-missing]")
    head, rows, seen, n = None, [], {}, None
    for fn in files:
        try:
            with open(fn, newline="") as f:
                r = list(csv.reader(f))
            with open(fn + ".meta.json") as f:
                meta = json.load(f)
        except OSError as e:
            fail(f"{fn}: {e.strerror}")
        if "shard" not in meta:
            fail(f"{fn}: not a shard (no shard in its meta)")
        k, m = (int(x) for x in meta["shard"].split("/"))
        if n is not None and m != n:
            fail(f"{fn}: shard {k}/{m}, the others are of {n}")
        n = m
        if k in seen:
            fail(f"{fn}: shard {k}/{n} again (also {seen[k]})")
        seen[k] = fn
        if head is not None and r[0] != head:
            fail(f"{fn}: other columns than {files[0]}")
        head = r[0]
        rows += r[1:]
    missing = [k for k in range(1, n + 1) if k not in seen]
    if missing and not allow_missing:
        fail(f"missing shards {missing} of {n}")
    with open(out, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)
    meta.pop("shard")
    meta["shards"] = [f"{k}/{n}" for k in sorted(seen)]
    with open(out + ".meta.json", "w") as f:
        json.dump(meta, f, indent=2)
    return 0


def main():
    argv = sys.argv[1:]
    if argv and argv[0] == "merge":
        return merge(argv)
    if argv and argv[0] in ("verify", "bench"):
        return sharded(argv)
    os.execv(real(), [real()] + argv)


if __name__ == "__main__":
    sys.exit(main())
