#!/usr/bin/env bash
# What it checks (docs/design.md §15): scripts/slurm-array.sh on a real Slurm. The
# test starts a single-node cluster on this machine: Debian's munged,
# slurmctld and slurmd, as root, with a throw-away slurm.conf, munge key and
# munge socket in a temporary directory and free ports of their own (nothing
# of the system's Slurm or munge is read or touched), and stops it at the
# end, on failure too: every job process and daemon, by pid.
# 1. Mechanics, with tests/fake_convbench.sh standing in for convbench: a
#    shard exiting 1 (FAILED rows) completes its task, the dependent merge
#    job merges and --wait exits 1; a broken shard (exit 2) fails its task,
#    Slurm cancels the merge job (afterok, --kill-on-invalid-dep) and --wait
#    exits 3; the same command with --resume then merges (exit 0).
# 2. The real thing: 3 shards of `verify --shapes default` as a job array,
#    merged by the dependent job: the same (algo, desc, status) rows as one
#    unsharded verify, every problem in one shard only
#    (tests/shard_check.py), and the same exit status.
# Usage: test_slurm.sh CONVBENCH SOURCE_DIR   (KEEP=1 keeps the directory)
# Skips (77), saying why, when not root, or Slurm, munge or python3 is
# missing.
set -uo pipefail
cb=$(realpath "$1")
src=$(realpath "$2")
if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: needs root (slurmd starts the jobs; munged, slurmctld and" \
        "slurmd run as root here)"
    exit 77
fi
missing=()
for c in munged slurmctld slurmd sbatch scontrol scancel squeue sinfo python3
do
    command -v "$c" >/dev/null || missing+=("$c")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "SKIP: not found: ${missing[*]} (apt-get install" \
        "--no-install-recommends slurmctld slurmd slurm-client munge" \
        "python3; scripts/setup.sh installs them)"
    exit 77
fi

t=$(mktemp -d "${TMPDIR:-/tmp}/convbench-slurm.XXXXXX")
chmod 755 "$t" # munged wants its socket's directories searchable by all
conf=$t/slurm.conf
munge_pid='' slurm_pids=() child=''
# SLURM_CONF is never exported here: only the daemons, the client commands
# and the jobs have it, which is how the clean-up finds every process of
# this cluster (and of no other).
slurm() { SLURM_CONF=$conf "$@"; }

# Processes with this cluster's SLURM_CONF in their environment: slurmctld,
# slurmscriptd, slurmd, slurmstepd and the jobs' processes.
ours() {
    local p
    for p in /proc/[0-9]*; do
        { tr '\0' '\n' <"$p/environ"; } 2>/dev/null |
            grep -qxF "SLURM_CONF=$conf" && echo "${p#/proc/}"
    done
}

stop() {
    local pids i
    slurm scancel --quiet --user=root 2>/dev/null
    for sig in TERM KILL; do
        pids=$(ours)
        [ -n "$pids" ] || break
        # shellcheck disable=SC2086 # pids, one word each
        kill -s $sig $pids 2>/dev/null
        for ((i = 0; i < 50; i++)); do
            [ -n "$(ours)" ] || break
            sleep 0.2
        done
    done
    [ ${#slurm_pids[@]} -eq 0 ] || wait "${slurm_pids[@]}" 2>/dev/null
    if [ -n "$munge_pid" ]; then
        kill "$munge_pid" 2>/dev/null
        wait "$munge_pid" 2>/dev/null
    fi
    pids=$(ours)
    [ -z "$pids" ] || echo "test_slurm: still running:" "$pids"
}

cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM
    if [ -n "$child" ]; then
        kill "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    stop
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
        for f in "$t"/slurmctld.log "$t"/slurmd.log "$t"/munge/munged.log; do
            [ -f "$f" ] || continue
            echo "== last lines of $f"
            grep -v 'debug[2-5]\?:' "$f" | tail -n 25
        done
    fi
    if [ "${KEEP:-0}" = 1 ]; then
        echo "test_slurm: kept $t"
    else
        rm -rf "$t"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
fail() {
    echo "FAILED: $*"
    exit 1
}

# Two free TCP ports below the ephemeral range.
read -r ctld_port slurmd_port < <(python3 - <<'EOF'
import random, socket
got = []
while len(got) < 2:
    p = random.randrange(20000, 32000)
    try:
        with socket.socket() as s:
            s.bind(("", p))
    except OSError:
        continue
    if p not in got:
        got.append(p)
print(*got)
EOF
)
[ -n "$slurmd_port" ] || fail "no free ports"

# munge: its own key, socket, pid, log and seed files.
mkdir -m 755 "$t/munge"
head -c 1024 /dev/urandom >"$t/munge/munge.key"
chmod 400 "$t/munge/munge.key"
sock=$t/munge/munge.socket
munged -F --key-file="$t/munge/munge.key" --socket="$sock" \
    --pid-file="$t/munge/munged.pid" --log-file="$t/munge/munged.log" \
    --seed-file="$t/munge/munged.seed" >"$t/munge/munged.out" 2>&1 &
munge_pid=$!
for ((i = 0; i < 50; i++)); do
    [ -S "$sock" ] && break
    kill -0 "$munge_pid" 2>/dev/null || break
    sleep 0.2
done
[ -S "$sock" ] || { cat "$t/munge/munged.out"; fail "munged did not start"; }

# The controller's host name must be this machine's; the node gets a name
# of its own. Everything talks over 127.0.0.1.
host=$(uname -n)
host=${host%%.*}
cpus=$(nproc)
# SchedulerParameters: start a job as soon as it can run (the default
# batch_sched_delay of 3 s tripled the mechanics' time).
cat >"$conf" <<EOF
ClusterName=convbench
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$t/state
SlurmdSpoolDir=$t/spool
SlurmctldPidFile=$t/slurmctld.pid
SlurmdPidFile=$t/slurmd.pid
SlurmctldLogFile=$t/slurmctld.log
SlurmdLogFile=$t/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SlurmdParameters=config_overrides
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
NodeName=convbench1 NodeHostname=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=convbench1 Default=YES MaxTime=INFINITE State=UP
EOF
# slurmd (22.05) starts a cgroup plugin whatever the rest of the
# configuration, and the default, autodetect, fails where no cgroup file
# system is mounted on /sys/fs/cgroup (a chroot such as
# scripts/fresh-check.sh's). cgroup/v1, with nothing to constrain
# (proctrack/linuxproc, task/none), starts without one, and on a cgroup v2
# mount too; Slurm 24.05 and later say "disabled".
cg=cgroup/v1
v=$(slurmd -V | awk '{print $2}')
if [ "${v%%.*}" -gt 24 ] 2>/dev/null ||
    { [ "${v%%.*}" = 24 ] && [ "$(echo "$v" | cut -d. -f2)" -ge 5 ]; }; then
    cg=disabled
fi
echo "CgroupPlugin=$cg" >"$t/cgroup.conf"
mkdir "$t/state" "$t/spool"
slurm slurmctld -D -vv >"$t/slurmctld.out" 2>&1 &
slurm_pids+=($!)
slurm slurmd -D -vv -N convbench1 >"$t/slurmd.out" 2>&1 &
slurm_pids+=($!)
t0=$SECONDS
state=''
while [ $((SECONDS - t0)) -lt 60 ]; do
    state=$(slurm sinfo -h -N -n convbench1 -o %T 2>/dev/null)
    [ "$state" = idle ] && break
    for p in "${slurm_pids[@]}"; do
        kill -0 "$p" 2>/dev/null || fail "a Slurm daemon exited at start"
    done
    sleep 0.5
done
[ "$state" = idle ] || fail "the node is '$state', not idle, after 60 s"
echo "slurm: up in $((SECONDS - t0)) s: $host, ports $ctld_port and" \
    "$slurmd_port, $cpus CPUs"

# run CMD...: CMD in the background, waited for, so that a signal to the
# test is handled at once (bash runs traps only between commands), and the
# clean-up stops CMD first.
run() {
    local rc=0
    "$@" &
    child=$!
    wait "$child" || rc=$?
    child=''
    return "$rc"
}
array() {
    run env SLURM_CONF="$conf" "$src/scripts/slurm-array.sh" --wait \
        --poll 1 "$@"
}
expect() {
    local want=$1 rc=0
    shift
    "$@" || rc=$?
    [ "$rc" -eq "$want" ] || fail "exit $rc, not $want: $*"
}

# 1. Mechanics.
fake=$src/tests/fake_convbench.sh
t0=$SECONDS
# shellcheck disable=SC2016 # meant literally
odd='n"it'"'"'s {} $HOME `x` a;b"' # an argument as a shell could mangle it
FAKE_SHARD=2 FAKE_RC=1 expect 1 array --shards 3 --cpus 1 --out "$t/m1" \
    --bin "$fake" -- verify --desc "$odd"
grep -qxF -- "$odd" "$t/m1/shard-1.csv.args" ||
    fail "the argument $odd did not reach convbench unchanged"
[ "$(grep -c '^fake,' "$t/m1/all.csv")" -eq 3 ] ||
    fail "shard with FAILED rows: not all 3 shards merged"
FAKE_SHARD=2 FAKE_RC=2 expect 3 array --shards 3 --cpus 1 --out "$t/m2" \
    --bin "$fake" -- verify
[ ! -e "$t/m2/all.csv" ] || fail "merged with a broken shard"
read -r _ merge_id <"$t/m2/jobs"
s=$(slurm scontrol show job -o "$merge_id" | grep -o 'JobState=[A-Z]*')
[ "$s" = JobState=CANCELLED ] || fail "merge job after a broken shard: $s"
expect 0 array --shards 3 --cpus 1 --out "$t/m2" --bin "$fake" --resume \
    -- verify
[ "$(grep -c '^fake,.*,1$' "$t/m2/all.csv")" -eq 3 ] ||
    fail "--resume: not 3 shards merged, each given --resume"
echo "mechanics: exit 1 merged, broken shard cancels the merge, --resume" \
    "merged: $((SECONDS - t0)) s"

# 2. The real thing.
c=$((cpus < 2 ? cpus : 2))
# Two algorithms every build has: the orchestration is under test here;
# the full default set's shards are test_shards.sh's.
args=(verify --shapes default --algo naive,winograd_f2x3 --quiet)
t0=$SECONDS
ref=0
run "$cb" "${args[@]}" --threads "$c" --csv "$t/ref.csv" || ref=$?
[ "$ref" -le 1 ] || fail "unsharded verify: exit $ref"
echo "unsharded: $((SECONDS - t0)) s, exit $ref"
t0=$SECONDS
rc=0
array --shards 3 --cpus "$c" --out "$t/real" --bin "$cb" -- "${args[@]}" ||
    rc=$?
if [ "$rc" -ne "$ref" ]; then
    for f in "$t"/real/logs/*; do
        echo "== $f" && cat "$f"
    done
    fail "slurm-array.sh exit $rc, unsharded verify $ref"
fi
echo "3 shards as a Slurm array: $((SECONDS - t0)) s"
python3 "$src/tests/shard_check.py" "$t/ref.csv" "$t/real/all.csv" \
    "$t/real/shard-"{1,2,3}.csv || fail "merged shards differ from unsharded"
echo "PASSED"
