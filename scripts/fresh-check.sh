#!/usr/bin/env bash
# Fresh-machine check: make a minimal Debian 12 root (debootstrap minbase,
# plus git), clone the committed tree into it with nothing beside it, and run
# both README commands there with chroot, as a new user would. Exit 1 if
# either fails (2 on usage or a host that cannot run the check).
# Usage (as root): scripts/fresh-check.sh [--no-cache] [--keep]
#   --no-cache  run debootstrap (default: reuse the base root cached in
#               ~/.cache/convbench when under 14 days old, else make it)
#   --keep      leave the root in place (unmounted) for a look afterwards
# The root goes under $FRESH_TMP (default /var/tmp) and is unmounted and
# removed on exit, also when interrupted.
# shellcheck disable=SC2317 # functions are called through stage
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
suite=bookworm
cache=1
keep=0
for a in "$@"; do
    case $a in
    --no-cache) cache=0 ;;
    --keep) keep=1 ;;
    *)
        echo "fresh-check: unknown option $a (--no-cache, --keep)" >&2
        exit 2
        ;;
    esac
done
if [ "$(id -u)" -ne 0 ]; then
    echo "fresh-check: needs root (debootstrap, mount, chroot)" >&2
    exit 2
fi
for t in debootstrap chroot mount umount mknod git; do
    command -v $t >/dev/null || {
        echo "fresh-check: $t not found (apt-get install debootstrap git)" >&2
        exit 2
    }
done

# The first Debian mirror of this suite in the host's apt sources (one-line
# and deb822 formats); empty: debootstrap's default.
host_mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk -v s="$suite" '$1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            if ($(i + 1) == s) { print $i; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
        {
            split("", k)
            for (i = 1; i <= NF; i++) {
                if ($i ~ /^#/ || !match($i, /^[A-Za-z-]+:/)) continue
                v = substr($i, RLENGTH + 1)
                gsub(/^[ \t]+|[ \t]+$/, "", v)
                k[tolower(substr($i, 1, RLENGTH - 1))] = v
            }
            if ((" " k["types"] " ") ~ / deb / &&
                (" " k["suites"] " ") ~ (" " s " ") &&
                tolower(k["enabled"]) != "no") {
                split(k["uris"], u, " "); print u[1]; exit
            }
        }' "$f"
    done
}
mirror=$(host_mirror | head -n 1)
include=git
case $mirror in https:*) include=git,ca-certificates ;; esac

# Canonical: compared with /proc/PID/root and mountinfo paths.
work=$(realpath "$(mktemp -d "${FRESH_TMP:-/var/tmp}/convbench-fresh.XXXXXX")")
r=$work/root
child=

# Mount points at or below the root, deepest first.
mounts_below() {
    awk -v r="$r" '$5 == r || index($5, r "/") == 1 { print $5 }' \
        /proc/self/mountinfo | sort -r
}

# Processes whose root is ours (a stage interrupted mid-way), by id.
kill_inside() {
    local sig p pids
    for sig in TERM KILL; do
        pids=()
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] &&
                pids+=("${p#/proc/}")
        done
        [ ${#pids[@]} -gt 0 ] || return 0
        kill -s "$sig" "${pids[@]}" 2>/dev/null
        sleep 2
    done
}

unmount_all() {
    local m
    for _ in 1 2 3; do
        for m in $(mounts_below); do
            umount "$m" 2>/dev/null || umount -l "$m"
        done
        [ -z "$(mounts_below)" ] && return 0
        sleep 1
    done
}

cleanup() {
    local rc=$?
    set +e
    trap '' INT TERM
    [ -n "$child" ] && kill -- -"$child" 2>/dev/null && wait "$child"
    kill_inside
    unmount_all
    left=$(mounts_below)
    if [ -n "$left" ]; then
        # Never delete through a live mount (of /dev or /proc above all).
        echo "fresh-check: still mounted, not removing $work:" "$left" >&2
        exit 1
    fi
    if [ "$keep" -eq 1 ]; then
        echo "fresh-check: root kept in $r"
    else
        t0=$SECONDS
        rm -rf --one-file-system "$work"
        echo "== fresh-check: cleanup: $((SECONDS - t0))s"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'echo "fresh-check: interrupted" >&2; exit 130' INT
trap 'echo "fresh-check: terminated" >&2; exit 143' TERM

# run CMD...: in the background in its own process group, so that a signal
# is handled at once and takes the whole stage down. The stage functions
# below check every step themselves: errexit does not reach them here.
run() {
    set -m
    "$@" </dev/null &
    child=$!
    set +m
    local rc=0
    wait $child || rc=$?
    child=
    return $rc
}

summary=()
# stage NAME CMD...: run and time one stage; its status goes to the summary.
stage() {
    local name=$1 t0=$SECONDS rc=0
    shift
    echo "== fresh-check: $name"
    run "$@" || rc=$?
    local s="$name: $((SECONDS - t0))s"
    [ $rc -eq 0 ] && s="$s ok" || s="$s FAILED (exit $rc)"
    summary+=("$s")
    echo "== fresh-check: $s"
    return $rc
}

# debootstrap ARGS...: its log is shown only when it fails.
debootstrap_quiet() {
    debootstrap "$@" >"$work/debootstrap.log" 2>&1 || {
        local rc=$?
        tail -n 30 "$work/debootstrap.log" >&2
        return "$rc"
    }
}

# The base system. Cached: the root as debootstrap left it, as a tar (its
# second stage, dpkg unpacking and configuring, is most of its time).
base() {
    local tar=$HOME/.cache/convbench/root-$suite-minbase-${include//,/-}.tar
    local m=()
    [ -z "$mirror" ] || m=("$mirror")
    if [ "$cache" -eq 1 ] && [ -n "$(find "$tar" -mtime -14 2>/dev/null)" ]
    then
        echo "fresh-check: base from $tar (under 14 days old)"
        mkdir "$r" && tar -xpf "$tar" --numeric-owner -C "$r"
        return
    fi
    debootstrap_quiet --variant=minbase --include="$include" "$suite" "$r" \
        "${m[@]}" || return
    [ "$cache" -eq 1 ] || return 0
    mkdir -p "$(dirname "$tar")" &&
        tar -cf "$tar.tmp" --numeric-owner --one-file-system -C "$r" . &&
        mv "$tar.tmp" "$tar" && echo "fresh-check: cached the base in $tar"
}

# What processes inside need: /proc, /sys (read-only), and a private /dev
# with only the usual nodes, a pty instance and shared memory.
mount_fs() {
    local d=$r/dev
    mount -t proc proc "$r/proc" &&
        mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$r/sys" &&
        mount -t tmpfs -o mode=755,nosuid dev "$d" &&
        mknod -m 666 "$d/null" c 1 3 &&
        mknod -m 666 "$d/zero" c 1 5 &&
        mknod -m 666 "$d/full" c 1 7 &&
        mknod -m 666 "$d/random" c 1 8 &&
        mknod -m 666 "$d/urandom" c 1 9 &&
        mknod -m 666 "$d/tty" c 5 0 &&
        ln -s /proc/self/fd "$d/fd" &&
        ln -s /proc/self/fd/0 "$d/stdin" &&
        ln -s /proc/self/fd/1 "$d/stdout" &&
        ln -s /proc/self/fd/2 "$d/stderr" &&
        mkdir "$d/pts" "$d/shm" &&
        mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts \
            "$d/pts" &&
        ln -s pts/ptmx "$d/ptmx" &&
        mount -t tmpfs -o mode=1777,nosuid,nodev shm "$d/shm" || return
    [ -s "$r/etc/resolv.conf" ] || cp /etc/resolv.conf "$r/etc/resolv.conf"
}

# inside CMD: a login-like shell in the root, with none of our environment.
inside() {
    env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/bash \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        LANG=C.UTF-8 TERM="${TERM:-dumb}" chroot "$r" /bin/bash -c "$1"
}

# The committed tree only: a bundle of HEAD, cloned by the root's own git.
clone() {
    local branch
    branch=$(git -C "$src" symbolic-ref -q --short HEAD) || branch=
    if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
        echo "fresh-check: note: uncommitted changes are not checked"
    fi
    git -C "$src" bundle create -q "$r/root/convbench.bundle" HEAD ${branch:+"$branch"} &&
        inside 'cd && git -c advice.detachedHead=false clone -q \
            convbench.bundle convbench && rm convbench.bundle &&
            git -C convbench log -1 --oneline'
}

echo "fresh-check: $suite minbase + $include from ${mirror:-the default mirror}" \
    "in $r"
stage debootstrap base
stage mount mount_fs
stage clone clone
rc=0
stage run.sh inside 'cd ~/convbench && scripts/run.sh' || rc=1
stage test.sh inside 'cd ~/convbench && scripts/test.sh' || rc=1
echo "== fresh-check: root size $(du -sh --one-file-system "$r" | cut -f1)"
echo "== fresh-check: summary"
printf '   %s\n' "${summary[@]}"
exit $rc
