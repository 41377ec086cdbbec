#!/usr/bin/env bash
# Every named shape set parses, by name, and has named problems.
set -u
cb=$1 dir=$2
pass=0 fail=0
for need in default resnet50 vgg16 mobilenet_v1 alexnet 1d dilated large_kernel; do
    [ -f "$dir/$need" ] || { echo "FAILED: set $need missing"; fail=$((fail + 1)); }
done
for f in "$dir"/*; do
    set=$(basename "$f")
    if out=$("$cb" list --shapes "$set" 2>&1) && grep -q 'supported by:' <<<"$out"; then
        pass=$((pass + 1))
    else
        echo "FAILED: set $set: $out"; fail=$((fail + 1))
    fi
done
echo "sets: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
