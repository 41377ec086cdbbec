#!/usr/bin/env bash
# Every named shape set parses, by name, and has named problems; per-model
# sets (SET.d/MODEL) resolve as SET:MODEL, and an unknown one is exit 2.
set -u
cb=$1 dir=$2
pass=0 fail=0
for need in default resnet50 vgg16 mobilenet_v1 alexnet 1d dilated large_kernel torchvision; do
    [ -f "$dir/$need" ] || { echo "FAILED: set $need missing"; fail=$((fail + 1)); }
done
check() { # NAME: lists, every problem named
    local out
    if out=$("$cb" list --shapes "$1" 2>&1) && grep -q 'supported by:' <<<"$out" &&
        ! grep -q 'UNSUPPORTED' <<<"$out"; then
        pass=$((pass + 1))
    else
        echo "FAILED: set $1: $(head -5 <<<"$out")"; fail=$((fail + 1))
    fi
}
for f in "$dir"/*; do
    [ -f "$f" ] && check "$(basename "$f")"
done
for d in "$dir"/*.d; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do check "$(basename "$d" .d):$(basename "$f")"; done
done
# torchvision:resnet50: the 53 convolutions of resnet50 as 23 problems
out=$("$cb" list --shapes torchvision:resnet50 2>&1)
n=$(grep -c 'supported by:' <<<"$out")
total=$(( n + $(grep -o 'occurs [0-9]* times' <<<"$out" | awk '{ s += $2 - 1 } END { print s + 0 }') ))
if [ "$n" -eq 23 ] && [ "$total" -eq 53 ]; then
    pass=$((pass + 1))
else
    echo "FAILED: torchvision:resnet50: $n problems, $total convolutions (want 23, 53)"
    fail=$((fail + 1))
fi
for bad in torchvision:nosuchnet nosuchset:resnet50 torchvision:; do
    out=$("$cb" list --shapes "$bad" 2>&1)
    rc=$?
    if [ $rc -eq 2 ] && grep -q "neither a readable file nor a set" <<<"$out"; then
        pass=$((pass + 1))
    else
        echo "FAILED: --shapes $bad: exit $rc, want 2: $out"; fail=$((fail + 1))
    fi
done
echo "sets: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
