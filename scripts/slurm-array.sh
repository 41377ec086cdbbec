#!/usr/bin/env bash
# Run convbench verify or bench as a Slurm job array, one task per shard
# (docs/design.md §15), and merge the shards in a job that waits for the array.
#
#   scripts/slurm-array.sh [options] -- verify|bench [CONVBENCH_OPTIONS...]
#     --shards N      shards, one array task each (default 4)
#     --partition P   partition of both jobs (default: the cluster's default)
#     --time T        time limit of each shard task (default 1:00:00)
#     --cpus C        CPUs of each shard task, its --threads too (default 2)
#     --out DIR       shard-I.csv, all.csv and logs/ go here, on a file
#                     system the nodes share (default ./convbench-slurm-DATE)
#     --bin PATH      convbench, the same path on every node (default: this
#                     checkout's build/convbench, else convbench on PATH)
#     --resume        continue the shard CSVs already in DIR (convbench
#                     --resume), e.g. after a task ran out of time
#     --sbatch ARG    one more sbatch argument for both jobs, repeatable
#                     (--sbatch --account=abc --sbatch --mem=8G)
#     --wait          wait for the merge job, then exit as below
#     --poll S        seconds between looks at the jobs with --wait (10)
#     --dry-run       print the sbatch commands and submit nothing
# e.g. scripts/slurm-array.sh --shards 8 --cpus 16 -- bench --shapes torchvision
#
# Array task I (SLURM_ARRAY_TASK_ID, 1..N) runs
#     convbench CMD --shard I/N --csv DIR/shard-I.csv --threads C OPTIONS...
# (no --threads when OPTIONS has one), then the merge job, submitted with
# --dependency=afterok:ARRAY --kill-on-invalid-dep=yes, runs
#     convbench merge DIR/shard-1.csv ... DIR/shard-N.csv -o DIR/all.csv
#
# Why afterok and not afterany: the merge is to run when, and only when,
# every shard left a complete CSV. convbench exits 1 when a row FAILED or is
# an ERROR; that is a result, not a broken shard, so a task writes
# convbench's exit code to DIR/shard-I.rc and exits 0 when that code is 0
# or 1 and the CSV and its meta are there. Anything else (a usage error, a
# crash, the time limit, scancel) fails the task, afterok can no longer be
# met, and Slurm cancels the merge job (DependencyNeverSatisfied) instead of
# leaving it pending for ever. Fix the cause and run the same command with
# --resume: finished shards have nothing left to do. afterany would start
# the merge after a broken shard only for merge to refuse the missing one.
# The merge job exits 1 when it merged and some shard had FAILED or ERROR
# rows (as convbench verify would have), 3 when the merge failed.
#
# Exit: 0 submitted (with --wait: merged, and no row FAILED or ERROR);
# 1 (--wait) merged, and some row FAILED or is an ERROR; 2 usage error;
# 3 sbatch failed, or (--wait) a shard task or the merge failed (DIR/logs/).
#
# In the jobs this script runs as `slurm-array.sh --run-shard N DIR BIN
# RESUME -- CMD OPTIONS...` and `slurm-array.sh --run-merge N DIR BIN`:
# sbatch runs a copy of it, so everything comes in its arguments.
set -euo pipefail

usage() {
    sed -n '2,/^# e\.g\./s/^# \{0,1\}//p' "$0"
    exit 0
}
die() {
    echo "slurm-array: $*" >&2
    exit 2
}

# has OPT ARGS...: whether the option OPT is among ARGS.
has() {
    local o=$1 a
    shift
    for a in "$@"; do [ "$a" = "$o" ] && return 0; done
    return 1
}

# ---- inside the jobs ------------------------------------------------------

run_shard() {
    local n=$1 dir=$2 bin=$3 resume=$4
    shift 5
    local i=${SLURM_ARRAY_TASK_ID:?not in a Slurm array task}
    local cmd=$1
    shift
    local csv=$dir/shard-$i.csv
    local opts=(--shard "$i/$n" --csv "$csv")
    if [ -n "${SLURM_CPUS_PER_TASK:-}" ] && ! has --threads "$@"; then
        opts+=(--threads "$SLURM_CPUS_PER_TASK")
    fi
    [ "$resume" = 1 ] && opts+=(--resume)
    echo "slurm-array: shard $i/$n, job ${SLURM_JOB_ID:-?} on $(uname -n):" \
        "$bin $cmd ${opts[*]} $*"
    local rc=0
    "$bin" "$cmd" "${opts[@]}" "$@" || rc=$?
    echo "$rc" >"$dir/shard-$i.rc"
    if [ "$rc" -le 1 ] && [ -s "$csv" ] && [ -s "$csv.meta.json" ]; then
        [ "$rc" -eq 0 ] || echo "slurm-array: shard $i/$n has FAILED or" \
            "ERROR rows (convbench exit 1); its CSV is complete"
        exit 0
    fi
    if [ "$rc" -gt 1 ]; then
        echo "slurm-array: shard $i/$n failed: convbench exit $rc" >&2
        exit "$rc"
    fi
    echo "slurm-array: shard $i/$n failed: convbench exit $rc but no" \
        "complete $csv and $csv.meta.json" >&2
    exit 3
}

run_merge() {
    local n=$1 dir=$2 bin=$3 i rc files=() bad=()
    for ((i = 1; i <= n; i++)); do files+=("$dir/shard-$i.csv"); done
    echo "slurm-array: merge, job ${SLURM_JOB_ID:-?} on $(uname -n):" \
        "$bin merge ${files[*]} -o $dir/all.csv"
    rc=0
    "$bin" merge "${files[@]}" -o "$dir/all.csv" || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "slurm-array: merge failed (exit $rc)" >&2
        exit 3
    fi
    for ((i = 1; i <= n; i++)); do
        [ "$(cat "$dir/shard-$i.rc" 2>/dev/null)" = 0 ] || bad+=("$i")
    done
    if [ ${#bad[@]} -gt 0 ]; then
        echo "slurm-array: merged $dir/all.csv; shards ${bad[*]} have" \
            "FAILED or ERROR rows"
        exit 1
    fi
    echo "slurm-array: merged $dir/all.csv"
    exit 0
}

case ${1:-} in
--run-shard)
    if [ $# -lt 7 ] || [ "$6" != -- ]; then
        die "--run-shard N DIR BIN RESUME -- CMD ..."
    fi
    shift
    run_shard "$@"
    ;;
--run-merge)
    [ $# -eq 4 ] || die "--run-merge N DIR BIN"
    shift
    run_merge "$@"
    ;;
esac

# ---- the driver -----------------------------------------------------------

root=$(cd "$(dirname "$0")/.." && pwd)
shards=4 partition='' time=1:00:00 cpus=2 out='' bin='' resume=0 wait=0
poll=10 dry=0
sbatch_extra=()
while [ $# -gt 0 ]; do
    case $1 in
    --shards | --partition | --time | --cpus | --out | --bin | --sbatch | --poll)
        [ $# -ge 2 ] || die "$1 needs a value"
        case $1 in
        --shards) shards=$2 ;;
        --partition) partition=$2 ;;
        --time) time=$2 ;;
        --cpus) cpus=$2 ;;
        --out) out=$2 ;;
        --bin) bin=$2 ;;
        --sbatch) sbatch_extra+=("$2") ;;
        --poll) poll=$2 ;;
        esac
        shift 2
        ;;
    --resume) resume=1 && shift ;;
    --wait) wait=1 && shift ;;
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
[[ $cpus =~ ^[1-9][0-9]*$ ]] || die "--cpus takes a count >= 1"
[[ $poll =~ ^[0-9]+$ ]] || die "--poll takes seconds"

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

[ -n "$out" ] || out=convbench-slurm-$(date +%Y%m%d-%H%M%S)
if [ "$dry" -eq 0 ]; then
    mkdir -p "$out/logs" || die "cannot make $out/logs"
    out=$(cd "$out" && pwd)
    if [ "$resume" -eq 0 ] && compgen -G "$out/shard-*.csv" >/dev/null; then
        die "$out holds shards already: --resume to continue them," \
            "or another --out"
    fi
    command -v sbatch >/dev/null || die "sbatch not found (no Slurm client)"
else
    out=$(realpath -m "$out")
fi

self=$(realpath "$0")
common=(--parsable --chdir="$out")
[ -z "$partition" ] || common+=(--partition="$partition")
common+=("${sbatch_extra[@]}")
array_cmd=(sbatch "${common[@]}" --job-name=convbench-shard
    --array="1-$shards" --cpus-per-task="$cpus" --time="$time"
    --output="$out/logs/shard-%A_%a.out"
    "$self" --run-shard "$shards" "$out" "$bin" "$resume" -- "$@")
# merge_cmd DEPENDENCY: sets merge to the merge job's sbatch command.
merge_cmd() {
    merge=(sbatch "${common[@]}" --job-name=convbench-merge
        --dependency="afterok:$1" --kill-on-invalid-dep=yes
        --cpus-per-task=1 --time=0:10:00 --output="$out/logs/merge-%j.out"
        "$self" --run-merge "$shards" "$out" "$bin")
}

if [ "$dry" -eq 1 ]; then
    merge_cmd ARRAY_JOB_ID
    printf '%q ' "${array_cmd[@]}"
    echo
    printf '%q ' "${merge[@]}"
    echo
    exit 0
fi

# submit CMD...: the job id sbatch --parsable printed ("id[;cluster]").
submit() {
    local o
    o=$("$@") || {
        echo "slurm-array: failed: $*" >&2
        exit 3
    }
    echo "${o%%;*}"
}
array_id=$(submit "${array_cmd[@]}")
merge_cmd "$array_id"
merge_id=$(submit "${merge[@]}") || {
    scancel "$array_id" 2>/dev/null
    exit 3
}
echo "$array_id $merge_id" >"$out/jobs"
echo "slurm-array: array job $array_id (shards 1-$shards), logs" \
    "$out/logs/shard-${array_id}_*.out"
echo "slurm-array: merge job $merge_id (afterok:$array_id), writes" \
    "$out/all.csv"
[ "$wait" -eq 1 ] || exit 0

# field JOB NAME: NAME=value of a job's first line in scontrol (empty when
# the controller has forgotten the job).
field() {
    scontrol show job -o "$1" 2>/dev/null | head -n 1 |
        grep -o "\(^\| \)$2=[^ ]*" | cut -d= -f2- || true
}
while :; do
    state=$(field "$merge_id" JobState)
    case $state in
    PENDING)
        if [ "$(field "$merge_id" Reason)" = DependencyNeverSatisfied ]; then
            scancel "$merge_id" 2>/dev/null || true
            state=CANCELLED
            break
        fi
        ;;
    "")
        # Purged from the controller (MinJobAge): ask accounting.
        state=$(sacct -n -X -P -j "$merge_id" -o State 2>/dev/null |
            head -n 1 | cut -d' ' -f1) || true
        [ -n "$state" ] || {
            echo "slurm-array: job $merge_id unknown to scontrol and sacct" >&2
            exit 3
        }
        ;;
    esac
    case $state in
    PENDING | RUNNING | CONFIGURING | COMPLETING | SUSPENDED | REQUEUED* | \
        RESIZING | SIGNALING | STAGE_OUT | STOPPED | RESV_DEL_HOLD) ;;
    *) break ;;
    esac
    sleep "$poll"
done

# The array tasks, while the controller still has them.
scontrol show job -o "$array_id" 2>/dev/null |
    grep -o 'ArrayTaskId=[^ ]*\|JobState=[^ ]*\|ExitCode=[^ ]*' |
    paste - - - | sed 's/^/slurm-array:   shard /' || true
code=$(field "$merge_id" ExitCode)
[ "$state" = FAILED ] || code=''
echo "slurm-array: merge job $merge_id $state${code:+ (exit ${code%%:*})}"
if [ "$state" = COMPLETED ]; then
    echo "slurm-array: $out/all.csv"
    exit 0
fi
if [ "$state" = FAILED ] && [ "${code%%:*}" = 1 ]; then
    echo "slurm-array: $out/all.csv (some rows FAILED or are ERRORs)"
    exit 1
fi
echo "slurm-array: see $out/logs/" >&2
exit 3
