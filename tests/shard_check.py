#!/usr/bin/env python3
"""Checks sharded results against one unsharded run (tests of docs/design.md §15):

    shard_check.py UNSHARDED.csv MERGED.csv SHARD1.csv ... SHARDN.csv

- MERGED has the (algo, desc, status) rows of UNSHARDED, as a multiset
  (order aside): the same problems, algorithms and verdicts;
- the shards together have exactly MERGED's rows, every problem (desc) in
  one shard only, and no shard is empty when there are at least N problems;
- MERGED.meta.json and every SHARD.meta.json exist.
Prints what differs and exits 1; 0 when all holds. The CSVs are read with
a CSV parser: descriptors are quoted fields with doubled quotes.
"""
import csv
import os
import sys
from collections import Counter


def rows(path):
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        for c in ("algo", "desc", "status"):
            if c not in (r.fieldnames or []):
                sys.exit(f"shard_check: {path}: no {c} column")
        return [(x["algo"], x["desc"], x["status"]) for x in r]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ref_path, merged_path, shard_paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    bad = []
    for p in [merged_path] + shard_paths:
        if not os.path.isfile(p + ".meta.json"):
            bad.append(f"{p}.meta.json missing")
    ref, merged = Counter(rows(ref_path)), Counter(rows(merged_path))
    if ref != merged:
        for r in sorted((ref - merged).elements()):
            bad.append(f"unsharded only: {r}")
        for r in sorted((merged - ref).elements()):
            bad.append(f"merged only:    {r}")
    union, owner = Counter(), {}
    for p in shard_paths:
        s = rows(p)
        union.update(s)
        if not s and len({d for _, d, _ in ref}) >= len(shard_paths):
            bad.append(f"{p}: empty shard")
        for d in {d for _, d, _ in s}:
            if d in owner:
                bad.append(f"{d} in two shards: {owner[d]} and {p}")
            owner[d] = p
    if union != merged:
        bad.append("the shards' rows are not the merged rows: "
                   f"{sum((union - merged).values())} more, "
                   f"{sum((merged - union).values())} fewer")
    for b in bad[:40]:
        print("shard_check: " + b)
    if len(bad) > 40:
        print(f"shard_check: ... {len(bad) - 40} more")
    if bad:
        return 1
    n = sum(merged.values())
    print(f"shard_check: {n} rows (algo, desc, status) as unsharded, "
          f"{len(owner)} problems in {len(shard_paths)} disjoint shards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
