#!/usr/bin/env bash
# Every golden case through `convbench exec` for every available algorithm.
set -u
cb=$1 check=$2 golden=$3
[ -f "$golden/cases.tsv" ] || { echo "no golden cases at $golden"; exit 1; }
algos=$("$cb" list | awk '$2 == "available" {print $1}')
[ -n "$algos" ] || { echo "no algorithms available"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
while IFS=$'\t' read -r name desc rest; do
    [ "$name" = name ] && continue
    dir=$golden/$name
    bias=(); [ -f "$dir/b.npy" ] && bias=(--bias "$dir/b.npy")
    for a in $algos; do
        out=$tmp/$name.$a.npy
        if "$cb" exec --algo "$a" --desc "$desc" --input "$dir/x.npy" \
               --weights "$dir/w.npy" "${bias[@]}" --output "$out" --threads 2 &&
           "$check" "$desc" "$dir" "$out" "$a"; then
            pass=$((pass + 1))
        else
            echo "FAILED: $a on $name ($desc)"; fail=$((fail + 1))
        fi
    done
done < "$golden/cases.tsv"
echo "golden: $pass passed, $fail failed"
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]
