#!/usr/bin/env bash
# Every golden case through `convbench exec` for every available algorithm,
# checked by golden_check (docs/design.md §4's error measure, the algorithm's
# tolerance). Two jobs at a time: each run is short, start-up dominates.
# Options after GOLDEN (e.g. --plugin FILE.so) go to every convbench and
# golden_check; GOLDEN_ALGOS, when set, replaces the available algorithms.
set -u
cb=$1 check=$2 golden=$3
shift 3
export CONV_GOLDEN_EXTRA="$*" # no spaces in these paths: split on use
[ -f "$golden/cases.tsv" ] || { echo "no golden cases at $golden"; exit 1; }
algos=${GOLDEN_ALGOS:-$("$cb" list "$@" | awk '$2 == "available" {print $1}')}
[ -n "$algos" ] || { echo "no algorithms available"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

one() { # ALGO NAME DESC
    local a=$1 name=$2 desc=$3 dir=$golden/$2 out=$tmp/$2.$1.npy bias=()
    [ -f "$dir/b.npy" ] && bias=(--bias "$dir/b.npy")
    if "$cb" exec --algo "$a" --desc "$desc" --input "$dir/x.npy" \
           --weights "$dir/w.npy" "${bias[@]}" --output "$out" --threads 1 \
           $CONV_GOLDEN_EXTRA &&
       "$check" "$desc" "$dir" "$out" "$a" $CONV_GOLDEN_EXTRA; then
        echo "PASS $a $name"
    else
        echo "FAIL $a $name ($desc)"
    fi
}
export -f one; export cb check golden tmp
while IFS=$'\t' read -r name desc rest; do
    [ "$name" = name ] && continue
    for a in $algos; do printf '%s\t%s\t%s\n' "$a" "$name" "$desc"; done
done < "$golden/cases.tsv" |
    xargs -P 2 -d '\n' -n 1 bash -c 'IFS=$'"'"'\t'"'"' read -r a n d <<<"$1"; one "$a" "$n" "$d"' _ \
    > "$tmp/log" 2>&1
grep -v '^PASS' "$tmp/log" | grep -v '^[a-z_0-9]* *seed\|^[a-z_0-9]* *rand'
pass=$(grep -c '^PASS' "$tmp/log"); fail=$(grep -c '^FAIL' "$tmp/log")
echo "golden: $pass passed, $fail failed"
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]
