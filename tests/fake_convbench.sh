#!/usr/bin/env bash
# A fake convbench for the mechanics of scripts/slurm-array.sh and
# scripts/parallel-shards.sh (tests/test_slurm.sh, test_parallel_shards.sh):
# exit codes, what is merged when, --resume. It knows two commands:
#   verify|bench ... --shard I/N --csv F [--resume] ...: writes F (one row)
#       and F.meta.json. Shard $FAKE_SHARD exits $FAKE_RC (default 0): 1
#       keeps the CSV, as convbench with a FAILED row; 2 or more leaves
#       none, as a usage error or a crash. --resume is remembered in the row,
#       the arguments in F.args, one a line.
#   merge A.csv B.csv ... -o OUT: one header, every shard's rows, OUT.meta.json.
set -euo pipefail
if [ "${1:-}" = merge ]; then
    shift
    out='' files=()
    while [ $# -gt 0 ]; do
        case $1 in
        -o) out=$2 && shift 2 ;;
        *) files+=("$1") && shift ;;
        esac
    done
    head -n 1 "${files[0]}" >"$out"
    for f in "${files[@]}"; do tail -n +2 "$f" >>"$out"; done
    echo '{"fake": true}' >"$out.meta.json"
    exit 0
fi
cmd=${1:-} shard='' csv='' resume=0
all=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --shard) shard=$2 && shift 2 ;;
    --csv) csv=$2 && shift 2 ;;
    --resume) resume=1 && shift ;;
    *) shift ;;
    esac
done
case $cmd in verify | bench) ;; *) echo "fake: no $cmd" >&2 && exit 2 ;; esac
if [ -z "$shard" ] || [ -z "$csv" ]; then
    echo "fake: no --shard or --csv" >&2
    exit 2
fi
i=${shard%/*}
rc=0
[ "$i" != "${FAKE_SHARD:-}" ] || rc=${FAKE_RC:-0}
if [ "$rc" -ge 2 ]; then
    echo "fake: shard $shard broken (exit $rc)" >&2
    exit "$rc"
fi
status=PASSED
[ "$rc" -eq 0 ] || status=FAILED
printf 'algo,desc,status,resume\nfake,"shard ""%s""",%s,%s\n' "$shard" \
    "$status" "$resume" >"$csv"
echo "{\"shard\": \"$shard\"}" >"$csv.meta.json"
printf '%s\n' "${all[@]}" >"$csv.args"
exit "$rc"
