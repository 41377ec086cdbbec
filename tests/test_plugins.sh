#!/usr/bin/env bash
# Plugins (docs/design.md §12): malformed ones are refused with exit 2 and a message
# naming the file and the fault, on every command; a crash and a hang in a
# plugin become one ERROR row each while the rest of the run completes.
set -u
cb=$1 dir=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect_refused WHAT PATTERN CONVBENCH-ARGS...: exit 2, stderr names the
# file (the last --plugin argument) and matches PATTERN.
expect_refused() {
    local what=$1 pat=$2; shift 2
    local file="" a prev=""
    for a in "$@"; do [ "$prev" = --plugin ] && file=$a; prev=$a; done
    "$cb" "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 2 ]; then
        fail "$what: exit $rc, expected 2"
    elif ! grep -qF -- "$file" "$tmp/err" || ! grep -qE -- "$pat" "$tmp/err"; then
        fail "$what: message '$(cat "$tmp/err")' lacks '$file' or /$pat/"
    fi
}
d1=mb1ic2ih6oc4kh3
expect_refused "missing file" "No such file" list --plugin "$dir/nothere.so"
expect_refused "no symbol" "no symbol conv_plugin_entry" \
    list --plugin "$dir/plugin_nosym.so"
expect_refused "ABI mismatch" "ABI version 3, this convbench has 2" \
    list --plugin "$dir/plugin_abi.so"
expect_refused "clash with a built-in" "'naive' is already the name of a built-in" \
    verify --desc $d1 --plugin "$dir/plugin_clash_builtin.so"
expect_refused "clash between plugins" \
    "'twin' is already the name of an algorithm of plugin .*plugin_twin_a.so" \
    verify --desc $d1 --plugin "$dir/plugin_twin_a.so" --plugin "$dir/plugin_twin_b.so"
expect_refused "same file twice" "'twin' is already the name" \
    list --plugin "$dir/plugin_twin_a.so" --plugin "$dir/plugin_twin_a.so"
expect_refused "duplicate in one table" "'fine' is already the name" \
    list --plugin "$dir/plugin_dup_name.so"
expect_refused "count 0" "count is 0" list --plugin "$dir/plugin_count.so"
expect_refused "NULL table" "algos is NULL" list --plugin "$dir/plugin_null_table.so"
expect_refused "NULL algorithm" "algorithm 1 of 2 is NULL" \
    list --plugin "$dir/plugin_null_algo.so"
expect_refused "NULL name" "algorithm 1 of 2 has no name" \
    list --plugin "$dir/plugin_null_name.so"
expect_refused "NULL execute" "'also_fine': supports, plan, execute.* required" \
    list --plugin "$dir/plugin_no_exec.so"
expect_refused "NaN tolerance" "tolerance nan is not a finite" \
    list --plugin "$dir/plugin_nan_tol.so"
expect_refused "negative tolerance" "tolerance -1 is not a finite" \
    list --plugin "$dir/plugin_neg_tol.so"
expect_refused "bad name" "'has,comma': a name is" \
    list --plugin "$dir/plugin_bad_name.so"
# Loaded by the common option parsing: every command refuses it alike.
for cmd in list verify bench exec gbench; do
    expect_refused "$cmd --plugin" "ABI version" \
        $cmd --desc $d1 --plugin "$dir/plugin_abi.so"
done
"$cb" verify --desc $d1 --row-timeout 0 --quiet >/dev/null 2>&1
[ $? -eq 2 ] || fail "--row-timeout 0 accepted"

# Listed as plugins with their file; --algo all includes them.
"$cb" list --plugin "$dir/plugin_crash.so" --desc $d1 >"$tmp/list" 2>&1
grep -qE "^  crash +available plugin $dir/plugin_crash.so$" "$tmp/list" ||
    fail "list: $(cat "$tmp/list")"
grep -q "supported by:.* crash" "$tmp/list" || fail "list: crash not supporting $d1"
"$cb" verify --plugin "$dir/plugin_crash.so" --desc $d1 --threads 1 --quiet \
    --csv "$tmp/all.csv" >/dev/null 2>&1 || fail "verify --algo all with a plugin"
grep -q "^crash," "$tmp/all.csv" 2>/dev/null || fail "--algo all left the plugin out"

# gbench and exec take plugin algorithms like built-in ones.
if "$cb" list | grep -q "gbench command: available"; then
    "$cb" gbench --plugin "$dir/plugin_crash.so" --algo crash --desc $d1 \
        --threads 1 -- --benchmark_min_time=0.001 >"$tmp/gb" 2>&1
    grep -q "^crash/g1mb1ic2" "$tmp/gb" || fail "gbench: $(cat "$tmp/gb")"
fi

# check_csv CSV EXPECTED: EXPECTED lines "algo oc status reason-pattern
# origin"; every row of the CSV is one of them, each once.
check_csv() {
    /usr/bin/python3 - "$@" <<'PY'
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
want = [l.split("\t") for l in open(sys.argv[2]).read().splitlines()]
got = [(r["algo"], r["oc"], r["status"], r["reason"], r["origin"]) for r in rows]
bad = len(got) != len(want)
for g, w in zip(got, want):
    if g[:3] != tuple(w[:3]) or not re.search(w[3], g[3]) or g[4] != w[4]:
        bad = True
        print("row %s, expected %s" % (g, w))
if bad:
    print("rows: %s" % got)
sys.exit(1 if bad else 0)
PY
}
descs=()
for oc in 4 5 6 7; do descs+=(--desc mb1ic2ih6oc${oc}kh3ph1); done

# A crash (SIGSEGV at oc 5, SIGABRT at oc 6): one ERROR row each, named.
crash=$dir/plugin_crash.so
"$cb" verify --plugin "$crash" --algo naive,crash "${descs[@]}" --threads 1 \
    --csv "$tmp/crash.csv" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "crash run: exit $rc, expected 1: $(cat "$tmp/out")"
T=$'\t'
printf '%s\n' "naive${T}4${T}PASSED${T}^\$${T}builtin" \
    "crash${T}4${T}PASSED${T}^\$${T}$crash" \
    "naive${T}5${T}PASSED${T}^\$${T}builtin" \
    "crash${T}5${T}ERROR${T}killed by signal 11 \\(SIGSEGV${T}$crash" \
    "naive${T}6${T}PASSED${T}^\$${T}builtin" \
    "crash${T}6${T}ERROR${T}killed by signal 6 \\(SIGABRT${T}$crash" \
    "naive${T}7${T}PASSED${T}^\$${T}builtin" \
    "crash${T}7${T}PASSED${T}^\$${T}$crash" >"$tmp/want"
check_csv "$tmp/crash.csv" "$tmp/want" || fail "crash run CSV"

# Without isolation the same crash takes the whole run down.
("$cb" verify --plugin "$crash" --algo naive,crash "${descs[@]}" --threads 1 \
    --no-isolate; true) >"$tmp/out" 2>&1 # true: the subshell reports the signal
grep -q "^verify: " "$tmp/out" && fail "--no-isolate: the crash did not end the run"

# A hang (oc 5): killed at --row-timeout, one ERROR row, the run goes on.
hang=$dir/plugin_hang.so
"$cb" bench --plugin "$hang" --algo hang,naive "${descs[@]}" --threads 1 \
    --row-timeout 0.5 --min-ms 1 --min-reps 2 --csv "$tmp/hang.csv" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "hang run: exit $rc, expected 1: $(cat "$tmp/out")"
printf '%s\n' "hang${T}4${T}PASSED${T}^\$${T}$hang" \
    "naive${T}4${T}PASSED${T}^\$${T}builtin" \
    "hang${T}5${T}ERROR${T}timed out: killed after 0.5 s${T}$hang" \
    "naive${T}5${T}PASSED${T}^\$${T}builtin" \
    "hang${T}6${T}PASSED${T}^\$${T}$hang" \
    "naive${T}6${T}PASSED${T}^\$${T}builtin" \
    "hang${T}7${T}PASSED${T}^\$${T}$hang" \
    "naive${T}7${T}PASSED${T}^\$${T}builtin" >"$tmp/want"
check_csv "$tmp/hang.csv" "$tmp/want" || fail "hang run CSV"
/usr/bin/python3 - "$tmp/hang.csv" <<'PY' || fail "isolated bench rows lack times"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["status"] == "PASSED"]
sys.exit(0 if rows and all(float(r["median_ms"]) >= 0 and int(r["reps"]) >= 2
                           for r in rows) else 1)
PY

# --isolate on the built-in algorithms (OpenMP, OpenBLAS, FFTW, oneDNN in
# forked children): every row as in-process.
"$cb" verify --isolate --sweep 6 --seed 4 --threads 2 --quiet --csv "$tmp/iso.csv" \
    >"$tmp/out" 2>&1 || fail "--isolate on built-ins: $(cat "$tmp/out")"
"$cb" verify --sweep 6 --seed 4 --threads 2 --quiet --csv "$tmp/in.csv" \
    >/dev/null 2>&1 || fail "in-process sweep"
# Same columns but the times: status, reason, workspace, errors.
cut -d, -f1-26,34-37 "$tmp/iso.csv" >"$tmp/a"
cut -d, -f1-26,34-37 "$tmp/in.csv" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || fail "--isolate rows differ from in-process rows"

[ $fails -eq 0 ] && echo "plugins: all checks passed"
[ $fails -eq 0 ]
