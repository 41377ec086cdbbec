#!/usr/bin/env bash
# Every benchdnn shape file parses unchanged (3D lines become UNSUPPORTED
# rows), and the small ones run through every algorithm at mb 1.
set -u
cb=$1 dir=$2
fail=0 pass=0
for f in "$dir"/shapes_*; do
    if out=$("$cb" list --shapes "$f" 2>&1); then
        n=$(grep -c 'supported by:' <<<"$out"); u=$(grep -c 'UNSUPPORTED' <<<"$out")
        echo "parsed $(basename "$f"): $n problems, $u unsupported (3D)"
        [ "$n" -gt 0 ] && pass=$((pass + 1)) || { echo "FAILED: no problems in $f"; fail=$((fail + 1)); }
    else
        echo "FAILED: $f: $out"; fail=$((fail + 1))
    fi
done
# Small files run whole; verify exits 1 on any FAILED or ERROR row.
for f in shapes_tails shapes_regression_padding shapes_1d shapes_dilated; do
    # A smaller workspace cap keeps toeplitz to the layers where its dense
    # matrix is cheap to build; it says UNSUPPORTED on the rest.
    if "$cb" verify --shapes "$dir/$f" --mb 1 --quiet --threads 2 --fill int \
           --workspace-cap 128M; then
        pass=$((pass + 1))
    else
        echo "FAILED: verify of $f"; fail=$((fail + 1))
    fi
done
echo "shapes: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
