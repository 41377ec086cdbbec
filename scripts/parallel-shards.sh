#!/usr/bin/env bash
# Run convbench verify or bench as N shards with GNU parallel, here or on
# ssh hosts (docs/design.md §15), then merge them into one CSV.
#
#   scripts/parallel-shards.sh [options] -- verify|bench [CONVBENCH_OPTIONS...]
#     --shards N        shards (default 4)
#     --jobs J          shards at a time on each host (default 1: a shard
#                       takes every core of its host unless the options
#                       give --threads)
#     --sshlogin HOSTS  GNU parallel's --sshlogin, e.g. 'node1,node2' or
#                       '8/node1,:' (':' is this machine); default: all here
#     --return          with --sshlogin: copy each shard's CSV and meta back
#                       from the host that ran it (parallel --return, which
#                       needs rsync on both sides); without it DIR must be
#                       on a file system the hosts share
#     --out DIR         shard-I.csv, all.csv and parallel.log go here
#                       (default ./convbench-parallel-DATE)
#     --bin PATH        convbench, the same path on every host (default: this
#                       checkout's build/convbench, else convbench on PATH)
#     --resume          continue the shard CSVs already in DIR
#     --dry-run         print the parallel command and run nothing
# e.g. scripts/parallel-shards.sh --shards 6 --sshlogin n1,n2,n3 -- bench --shapes resnet50
#
# Shard I runs `convbench CMD --shard I/N --csv DIR/shard-I.csv OPTIONS...`;
# with every shard done, `convbench merge DIR/shard-1.csv ... -o DIR/all.csv`
# runs here. On ssh hosts, convbench must be at the same path as --bin (a
# checkout at the same path, built there, or an install), and DIR too is
# used at the same absolute path. A shard whose convbench exits 1 (FAILED or
# ERROR rows) is complete; any other non-zero exit, or a missing CSV, is a
# broken shard: nothing is merged, and the same command with --resume
# continues. parallel's job log is DIR/parallel.log.
#
# Exit: 0 merged, and no row FAILED or is an ERROR; 1 merged, and some row
# FAILED or is an ERROR; 2 usage error; 3 a shard or the merge failed.
set -euo pipefail

usage() {
    sed -n '2,/^# e\.g\./s/^# \{0,1\}//p' "$0"
    exit 0
}
die() {
    echo "parallel-shards: $*" >&2
    exit 2
}
has() {
    local o=$1 a
    shift
    for a in "$@"; do [ "$a" = "$o" ] && return 0; done
    return 1
}
# q WORD: WORD quoted for a POSIX shell (parallel runs the command in one,
# here or through ssh), each { as "{" so that no replacement string of
# parallel's ({}, {.}, {#}, {= perl =}, ...) is seen in it.
q() {
    local s=${1//\'/\'\\\'\'}
    s=${s//\{/\'\"\{\"\'}
    printf "'%s'" "$s"
}

root=$(cd "$(dirname "$0")/.." && pwd)
shards=4 jobs=1 sshlogin='' ret=0 out='' bin='' resume=0 dry=0
while [ $# -gt 0 ]; do
    case $1 in
    --shards | --jobs | --sshlogin | --out | --bin)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
        --shards) shards=$2 ;;
        --jobs) jobs=$2 ;;
        --sshlogin) sshlogin=$2 ;;
        --out) out=$2 ;;
        --bin) bin=$2 ;;
        esac
        shift 2
        ;;
    --return) ret=1 && shift ;;
    --resume) resume=1 && shift ;;
    --dry-run) dry=1 && shift ;;
    --) shift && break ;;
    -h | --help) usage ;;
    *) die "unknown option '$1' (the convbench arguments go after --)" ;;
    esac
done
[ $# -ge 1 ] || die "no convbench command: ... -- verify|bench [options]"
case $1 in
verify | bench) ;;
*) die "the command is verify or bench, not '$1'" ;;
esac
for o in --shard --csv --resume; do
    has "$o" "$@" && die "$o is the script's to give (see --out, --resume)"
done
[[ $shards =~ ^[1-9][0-9]*$ ]] || die "--shards takes a count >= 1"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs takes a count >= 1"
[ "$ret" -eq 0 ] || [ -n "$sshlogin" ] || die "--return goes with --sshlogin"
command -v parallel >/dev/null ||
    die "GNU parallel not found (apt-get install parallel)"

if [ -z "$bin" ]; then
    if [ -x "$root/build/convbench" ]; then
        bin=$root/build/convbench
    else
        bin=$(command -v convbench) || die "no build/convbench and no" \
            "convbench on PATH: --bin PATH"
    fi
fi
[ -x "$bin" ] || die "--bin $bin is not an executable"
bin=$(realpath "$bin")

[ -n "$out" ] || out=convbench-parallel-$(date +%Y%m%d-%H%M%S)
if [ "$dry" -eq 0 ]; then
    mkdir -p "$out" || die "cannot make $out"
    out=$(cd "$out" && pwd)
    if [ "$resume" -eq 0 ] && compgen -G "$out/shard-*.csv" >/dev/null; then
        die "$out holds shards already: --resume to continue them," \
            "or another --out"
    fi
else
    out=$(realpath -m "$out")
fi

# The command of shard {} (parallel's replacement string), one string.
cmd=$1
shift
line="mkdir -p $(q "$out") && $(q "$bin") $(q "$cmd") --shard {}/$shards"
line+=" --csv $(q "$out")/shard-{}.csv"
[ "$resume" -eq 0 ] || line+=" --resume"
for a in "$@"; do line+=" $(q "$a")"; done

par=(parallel --jobs "$jobs" --joblog "$out/parallel.log" --line-buffer
    --tagstring "shard {}/$shards")
if [ -n "$sshlogin" ]; then
    par+=(--sshlogin "$sshlogin")
    [ "$ret" -eq 0 ] || par+=(--return "$out/shard-{}.csv"
        --return "$out/shard-{}.csv.meta.json")
fi
mapfile -t ids < <(seq 1 "$shards")
par+=("$line" ::: "${ids[@]}")
if [ "$dry" -eq 1 ]; then
    printf '%q ' "${par[@]}"
    echo
    exit 0
fi

echo "parallel-shards: $shards shards of $cmd, $jobs at a time on" \
    "${sshlogin:-this machine}, into $out"
t0=$SECONDS
"${par[@]}" || true # each shard's status is read from the job log

# The job log: Seq Host Starttime JobRuntime Send Receive Exitval Signal
# Command, Seq being the shard (the arguments are 1..N in order).
declare -A code
while IFS=$'\t' read -r seq _ _ _ _ _ exitval signal _; do
    [[ $seq =~ ^[0-9]+$ ]] || continue
    code[$seq]=$exitval
    [ "$signal" = 0 ] || code[$seq]="signal $signal"
done <"$out/parallel.log"
broken=() failed=()
for ((i = 1; i <= shards; i++)); do
    c=${code[$i]:-"not run"}
    csv=$out/shard-$i.csv
    if { [ "$c" = 0 ] || [ "$c" = 1 ]; } && [ -s "$csv" ] &&
        [ -s "$csv.meta.json" ]; then
        [ "$c" = 0 ] || failed+=("$i")
    else
        case $c in 0 | 1) c="$c, but no complete $csv" ;; esac
        broken+=("$i ($c)")
        echo "parallel-shards: shard $i/$shards failed: exit $c" >&2
    fi
done
echo "parallel-shards: shards done in $((SECONDS - t0)) s"
if [ ${#broken[@]} -gt 0 ]; then
    echo "parallel-shards: not merged; fix the cause and run the same" \
        "command with --resume" >&2
    exit 3
fi

files=()
for ((i = 1; i <= shards; i++)); do files+=("$out/shard-$i.csv"); done
rc=0
"$bin" merge "${files[@]}" -o "$out/all.csv" || rc=$?
if [ "$rc" -ne 0 ]; then
    echo "parallel-shards: merge failed (exit $rc)" >&2
    exit 3
fi
if [ ${#failed[@]} -gt 0 ]; then
    echo "parallel-shards: merged $out/all.csv; shards ${failed[*]} have" \
        "FAILED or ERROR rows"
    exit 1
fi
echo "parallel-shards: merged $out/all.csv"
