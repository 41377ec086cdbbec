#!/usr/bin/env bash
# Every golden case through `convbench exec` for every available algorithm
# and every direction of GOLDEN_DIRS (default fwd; bwd_wb only on cases
# with a bias), checked by golden_check (docs/design.md §4's error
# measure, the algorithm's tolerance for the direction). An algorithm may
# say UNSUPPORTED (exec exit 3) for a case, except naive, which runs every
# one. Two jobs at a time: each run is short, start-up dominates.
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

one() { # ALGO DIR NAME DESC
    local a=$1 d=$2 name=$3 desc=$4 dir=$golden/$3 out=$tmp/$3.$2.$1.npy
    local io=() db=() rc
    case $d in
    fwd) io=(--input "$dir/x.npy" --weights "$dir/w.npy")
         [ -f "$dir/b.npy" ] && io+=(--bias "$dir/b.npy") ;;
    bwd_d) io=(--weights "$dir/w.npy" --diff-dst "$dir/dy.npy") ;;
    bwd_w) io=(--input "$dir/x.npy" --diff-dst "$dir/dy.npy") ;;
    bwd_wb) [ -f "$dir/b.npy" ] || return 0
            io=(--input "$dir/x.npy" --diff-dst "$dir/dy.npy"
                --output-bias "$out.db.npy")
            db=(--db "$out.db.npy") ;;
    esac
    "$cb" exec --dir "$d" --algo "$a" --desc "$desc" "${io[@]}" \
        --output "$out" --threads 1 $CONV_GOLDEN_EXTRA
    rc=$?
    if [ $rc -eq 3 ] && [ "$a" != naive ]; then
        echo "UNSUP $a $d $name"
    elif [ $rc -eq 0 ] &&
       "$check" "$desc" "$dir" "$out" "$a" --dir "$d" "${db[@]}" $CONV_GOLDEN_EXTRA; then
        echo "PASS $a $d $name"
    else
        echo "FAIL $a $d $name ($desc)"
    fi
}
export -f one; export cb check golden tmp
dirs=${GOLDEN_DIRS:-fwd}
while IFS=$'\t' read -r name desc rest; do
    [ "$name" = name ] && continue
    for d in $dirs; do
        for a in $algos; do
            printf '%s\t%s\t%s\t%s\n' "$a" "$d" "$name" "$desc"
        done
    done
done < "$golden/cases.tsv" |
    xargs -P 2 -d '\n' -n 1 bash -c 'IFS=$'"'"'\t'"'"' read -r a d n s <<<"$1"; one "$a" "$d" "$n" "$s"' _ \
    > "$tmp/log" 2>&1
grep -v '^PASS\|^UNSUP' "$tmp/log" | grep -v '^[a-z_0-9]* *[a-z_]* *[a-z]* *seed\|^[a-z_0-9]* *[a-z_]* *[a-z]* *rand'
pass=$(grep -c '^PASS' "$tmp/log"); fail=$(grep -c '^FAIL' "$tmp/log")
unsup=$(grep -c '^UNSUP' "$tmp/log")
echo "golden ($dirs): $pass passed, $unsup unsupported, $fail failed"
grep '^UNSUP' "$tmp/log" | awk '{print $2, $3}' | sort | uniq -c |
    sed 's/^/  unsupported: /'
[ "$pass" -gt 0 ] && [ "$fail" -eq 0 ]
