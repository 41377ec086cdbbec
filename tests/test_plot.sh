#!/bin/sh
# scripts/plot.py: three non-empty PNGs from a results CSV (the hand-made
# fixture, then a small real `convbench bench` run), a fourth, the stacked
# breakdown, when phase columns are filled, exit 2 on bad input; with a dir
# column, a set per direction and the training step totals (numerically);
# a real run of every direction and one of scripts/run.sh's directions:
# exactly their sets, the step among them and in `convbench summary`.
# usage: test_plot.sh CONVBENCH_BINARY REPO_ROOT
set -u
bin=${1:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
root=${2:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
py=/usr/bin/python3
plot=$root/scripts/plot.py
fix=$root/tests/data/results_small.csv
if ! "$py" -c 'import matplotlib' 2>/dev/null; then
    echo "SKIP: $py lacks matplotlib (Debian package python3-matplotlib)"
    exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_plot.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# pngs DIR STEM WHAT [KIND...]: the plots (default the three) exist, are
# PNGs, and no temp is left
pngs() {
    ok=1
    kinds=${4:-gflops speedup accuracy}
    for kind in $kinds; do
        f=$1/$2_$kind.png
        if [ ! -s "$f" ]; then
            fail "$3: $f missing or empty"
            ok=0
        elif [ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" != "211PNG" ]; then
            fail "$3: $f is not a PNG"
            ok=0
        fi
    done
    if ls -a "$1" | grep -q '^\.plot-'; then
        fail "$3: temporary file left in $1"
        ok=0
    fi
    [ $ok -eq 1 ] && echo "ok: $3: PNGs $kinds"
}

# run RC WHAT PATTERN ARGS...: plot.py exits RC; output matches PATTERN
run() {
    want=$1 what=$2 pat=$3
    shift 3
    "$py" "$plot" "$@" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        fail "$what: exit $rc, expected $want; output:"
        sed 's/^/    /' "$tmp/out"
        return 1
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/out"; then
        fail "$what: output lacks /$pat/; output:"
        sed 's/^/    /' "$tmp/out"
        return 1
    fi
    echo "ok: $what (exit $rc)"
}

mkdir "$tmp/beside" "$tmp/out_dir" "$tmp/nometa"
cp "$fix" "$fix.meta.json" "$tmp/beside/"
run 0 "fixture, PNGs beside the CSV" "wrote" "$tmp/beside/results_small.csv" &&
    pngs "$tmp/beside" results_small "fixture beside the CSV"
# network totals: the fixture's names are NETWORK:LAYER
if [ -s "$tmp/beside/results_small_networks.png" ]; then
    echo "ok: network totals plotted"
else
    fail "no results_small_networks.png for a CSV with networks"
fi
run 0 "fixture, --out DIR and --baseline naive --linear" "" \
    "$fix" --out "$tmp/out_dir" --baseline naive --linear &&
    pngs "$tmp/out_dir" results_small "fixture into --out"
cp "$fix" "$tmp/nometa/r.csv"
run 0 "CSV without .meta.json" "" "$tmp/nometa/r.csv" &&
    pngs "$tmp/nometa" r "no meta"
grep -v ',PASSED,' "$fix" > "$tmp/nometa/nopass.csv"
run 0 "no PASSED rows: plots still written" "" "$tmp/nometa/nopass.csv" &&
    pngs "$tmp/nometa" nopass "no PASSED rows"

# phase columns (bench --breakdown): the stacked breakdown plot, only when
# some are filled
mkdir "$tmp/phases"
"$py" - "$fix" "$tmp/phases/ph.csv" "$tmp/phases/empty.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
cols = ["phase_lower_ms", "phase_gemm_ms", "phase_forward_ms",
        "phase_product_ms", "phase_inverse_ms"]
want = {"im2col_gemm": ["1.5", "2.25", "", "", ""],
        "fft": ["", "", "0.5", "1", "0.75"]}
h = rows[0]
for path, fill in ((sys.argv[2], True), (sys.argv[3], False)):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(h + cols)
        for r in rows[1:]:
            ok = fill and r[h.index("status")] == "PASSED"
            w.writerow(r + (want.get(r[0], [""] * 5) if ok else [""] * 5))
PY
run 0 "phase columns filled" "wrote .*ph_breakdown\.png" \
    "$tmp/phases/ph.csv" &&
    pngs "$tmp/phases" ph "phase columns" "gflops speedup accuracy breakdown"
run 0 "phase columns all empty: no breakdown plot" "no breakdown plot" \
    "$tmp/phases/empty.csv"
[ -e "$tmp/phases/empty_breakdown.png" ] &&
    fail "empty phase columns: a breakdown plot was written"
sed '3s/\(,[^,]*,[^,]*,[^,]*,[^,]*,\)[^,]*$/\1abc/' "$tmp/phases/ph.csv" \
    > "$tmp/phases/badphase.csv"
run 2 "bad phase number" 'badphase\.csv:3: column phase_' \
    "$tmp/phases/badphase.csv"
mkdir "$tmp/nonet"
sed 's/resnet50:\|alexnet:\|mobilenet_v1:\|1d:/x_/g' "$fix" > "$tmp/nonet/nonet.csv"
run 0 "names without a network" "" "$tmp/nonet/nonet.csv" &&
    pngs "$tmp/nonet" nonet "no networks"
if [ -e "$tmp/nonet/nonet_networks.png" ]; then
    fail "network totals plotted for a CSV without networks"
fi

# ---- directions (docs/design.md §14). The files of a CSV without a dir
# column stay those of before: exactly this set for the fixture.
ls "$tmp/beside" | grep '\.png$' > "$tmp/got"
printf '%s\n' results_small_accuracy.png results_small_gflops.png \
    results_small_networks.png results_small_speedup.png > "$tmp/want"
if diff "$tmp/want" "$tmp/got" > /dev/null; then
    echo "ok: no dir column: the same four files"
else
    fail "no dir column: files differ from before:"
    diff "$tmp/want" "$tmp/got"
fi
# tests/data/results_dirs.csv (see test_summary.sh for its numbers): each
# direction its own set, forward's under the old names, and the step totals
dfix=$root/tests/data/results_dirs.csv
mkdir "$tmp/dirs"
run 0 "fwd, bwd_d and bwd_w rows" "wrote .*_networks_step\.png" "$dfix" \
    --out "$tmp/dirs" &&
    pngs "$tmp/dirs" results_dirs "directions" "gflops speedup accuracy \
networks gflops_bwd_d speedup_bwd_d accuracy_bwd_d networks_bwd_d \
gflops_bwd_w speedup_bwd_w accuracy_bwd_w networks_bwd_w networks_step"
n=$(ls "$tmp/dirs" | grep -c '\.png$')
[ "$n" -eq 13 ] || fail "directions: $n PNGs, want 13"
# the totals drawn, numerically: per direction and the training step
cat > "$tmp/want" <<'WANT'
fwd net a 4.000 2/2
fwd net b 3.500 2/2
fwd net best per layer 3.000 2/2
bwd_d net a 8.000 2/2
bwd_d net b 9.000 2/2
bwd_d net best per layer 7.000 2/2
bwd_w net a 7.000 2/2
bwd_w net b 8.000 1/2
bwd_w net best per layer 7.000 2/2
step net a 19.000 2/2
step net b 12.000 1/2
step net best per layer 17.000 2/2
WANT
totals() {
    "$py" - "$root/scripts" "$1" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import plot
rows = plot.read_rows(sys.argv[2])
per, step = plot.plan_plots(rows, plot.algo_list(rows), sys.argv[2])
parts = [(d, algos, nets) for d, _, algos, nets in per]
if step:
    parts.append(("step", step[0], step[1]))
for d, algos, nets in parts:
    for net, n, tot in nets:
        for a in algos + [plot.BEST]:
            if a in tot:
                print("%s %s %s %.3f %d/%d" % (d, net, a, tot[a][0],
                                               tot[a][1], n))
PY
}
if totals "$dfix" > "$tmp/got" 2>&1 && diff "$tmp/want" "$tmp/got" > "$tmp/diff"; then
    echo "ok: directions: per-direction and training step totals"
else
    fail "directions: network totals differ:"
    cat "$tmp/diff" "$tmp/got"
fi
# bwd_wb stands for bwd_w where a layer has no bwd_w row: the same step
sed 's/,bwd_w,/,bwd_wb,/' "$dfix" > "$tmp/dirs/wb.csv"
if totals "$tmp/dirs/wb.csv" | grep '^step ' > "$tmp/got" &&
    grep '^step ' "$tmp/want" | diff - "$tmp/got" > /dev/null; then
    echo "ok: bwd_wb as bwd_w in the training step"
else
    fail "bwd_wb rows: the step totals differ:"
    cat "$tmp/got"
fi
run 0 "bwd_wb rows: their own files" "wrote .*wb_gflops_bwd_wb\.png" \
    "$tmp/dirs/wb.csv"
# forward rows with a dir column: the very files of the CSV without it
mkdir "$tmp/fwd_dir" "$tmp/fwd_nodir"
grep -v ',bwd_' "$dfix" > "$tmp/fwd_dir/f.csv"
cut -d, -f1,3- "$tmp/fwd_dir/f.csv" > "$tmp/fwd_nodir/f.csv"
# titles PLOT.PY-ARGS...: plot.py run with the title of each plot printed
titles() {
    "$py" - "$root/scripts" "$@" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import plot
real = plot.finish
def finish(fig, title, *rest):
    print("title: " + title)
    real(fig, title, *rest)
plot.finish = finish
sys.exit(plot.main(sys.argv[2:]))
PY
}
titles "$tmp/fwd_dir/f.csv" 2>&1 | sed -n 's/^title: //p' > "$tmp/got"
"$py" "$plot" "$tmp/fwd_nodir/f.csv" > /dev/null 2>&1
(cd "$tmp/fwd_dir" && cksum *.png) > "$tmp/sum1"
(cd "$tmp/fwd_nodir" && cksum *.png) > "$tmp/sum2"
printf '%s\n' "Convolution throughput per layer" "Speedup over naive" \
    "Accuracy per algorithm" "Network totals" > "$tmp/want"
if [ "$(grep -c png "$tmp/sum1")" -eq 4 ] && diff "$tmp/sum1" "$tmp/sum2" > /dev/null &&
    diff "$tmp/want" "$tmp/got" > /dev/null; then
    echo "ok: forward rows with a dir column: the PNGs and titles of before"
else
    fail "forward rows with a dir column: PNGs differ from those without, or titles:"
    diff "$tmp/sum1" "$tmp/sum2"
    diff "$tmp/want" "$tmp/got"
fi
titles "$dfix" --out "$tmp/dirs" 2>&1 | sed -n 's/^title: //p' > "$tmp/got"
if grep -qx 'Convolution throughput per layer (bwd_d: backward data)' "$tmp/got" &&
    grep -qx 'Network totals (fwd: forward)' "$tmp/got" &&
    grep -qx 'Training step totals' "$tmp/got"; then
    echo "ok: with several directions each title names its direction"
else
    fail "several directions: titles without their direction:"
    cat "$tmp/got"
fi
sed '4s/,fwd,/,bwd_x,/' "$dfix" > "$tmp/baddir.csv"
run 2 "unknown direction" 'baddir\.csv:4: column dir: "bwd_x"' "$tmp/baddir.csv"

# bad input -> 2, nothing written
sed '2s/resnet50:res2a_branch2b,/resnet50:res2a_branch2b*0,/' "$fix" \
    > "$tmp/badcount.csv"
run 2 "repeat count 0" 'badcount\.csv:2: count "0"' "$tmp/badcount.csv"
run 2 "missing file" "nonexistent\.csv: cannot open" "$tmp/nonexistent.csv"
printf 'just,some\ntext,here\n' > "$tmp/notcsv.csv"
run 2 "CSV without the expected columns" 'no column "algo"' "$tmp/notcsv.csv"
sed '3s/,PASSED,,\([^,]*\),\([^,]*\),[^,]*,/,PASSED,,\1,\2,abc,/' "$fix" \
    > "$tmp/badnum.csv"
run 2 "bad number" 'badnum\.csv:3: column median_ms: "abc"' "$tmp/badnum.csv"
sed '5s/,PASSED,/,PASSED,extra,/' "$fix" > "$tmp/badwidth.csv"
run 2 "wrong field count" "badwidth\.csv:5: 38 fields" "$tmp/badwidth.csv"
: > "$tmp/empty.csv"
run 2 "empty file" "empty" "$tmp/empty.csv"
cp "$fix" "$tmp/badmeta.csv"
echo '{"cpu_model": ' > "$tmp/badmeta.csv.meta.json"
run 2 "malformed meta JSON" "badmeta\.csv\.meta\.json" "$tmp/badmeta.csv"
run 2 "unknown --baseline" "no such algorithm" "$fix" --out "$tmp" \
    --baseline nosuch
run 2 "unknown option" "" "$fix" --bogus
if ls "$tmp"/*.png > /dev/null 2>&1; then
    fail "bad input left PNGs in $tmp"
fi

# a real CSV from the harness: plot.py must read what convbench writes
# (with --breakdown: the phases of im2col_gemm when it is built)
mkdir "$tmp/real"
algos=naive kinds="gflops speedup accuracy"
if "$bin" list | grep -Eq '^ +im2col_gemm +available'; then
    algos=naive,im2col_gemm kinds="$kinds breakdown"
fi
if "$bin" bench --algo $algos --desc 'mb1ic8ih12oc8kh3ph1n"t:a"' \
    --desc 'mb1ic8iw40oc8kw5pw2n"t:b"' --min-reps 2 --min-ms 1 --breakdown \
    --csv "$tmp/real/bench.csv" > "$tmp/bench.out" 2>&1; then
    run 0 "CSV written by convbench bench --breakdown" "" \
        "$tmp/real/bench.csv" &&
        pngs "$tmp/real" bench "convbench bench CSV" "$kinds"
else
    fail "convbench bench failed; output:"
    sed 's/^/    /' "$tmp/bench.out"
fi

# and with directions (naive has them all): --dir all, and the directions
# scripts/run.sh benchmarks (its dirs= line). Each direction its whole set,
# the training step's totals when fwd, bwd_d and a weight gradient are
# there, and nothing more.
# kinds DIRS: the plots plot.py writes for such a run (no --breakdown)
kinds() {
    case $1 in all) set -- fwd,bwd_d,bwd_w,bwd_wb ;; esac
    k='' has=,$1,
    for d in $(echo "$1" | tr , ' '); do
        s=_$d
        [ "$d" = fwd ] && s=''
        k="$k gflops$s speedup$s accuracy$s networks$s"
    done
    if echo "$has" | grep -q ',fwd,' && echo "$has" | grep -q ',bwd_d,' &&
        echo "$has" | grep -Eq ',bwd_wb?,'; then
        k="$k networks_step"
    fi
    echo $k
}
run_dirs=$(sed -n 's/^dirs=//p' "$root/scripts/run.sh")
[ -n "$run_dirs" ] || fail "scripts/run.sh: no dirs= line to take its directions from"
for dirs in all ${run_dirs:+"$run_dirs"}; do
    stem=dirs_$(echo "$dirs" | tr , _)
    what="convbench bench --dir $dirs CSV"
    if ! "$bin" bench --algo naive --dir "$dirs" --desc 'mb1ic4ih8oc4kh3ph1n"t:a"' \
        --desc 'mb1ic4iw20oc4kw3pw1n"t:b"' --min-reps 2 --min-ms 1 \
        --csv "$tmp/real/$stem.csv" > "$tmp/bench.out" 2>&1; then
        fail "convbench bench --dir $dirs failed; output:"
        sed 's/^/    /' "$tmp/bench.out"
        continue
    fi
    kset=$(kinds "$dirs")
    run 0 "$what" "" "$tmp/real/$stem.csv" &&
        pngs "$tmp/real" "$stem" "$what" "$kset"
    n=$(ls "$tmp/real" | grep -c "^${stem}_.*\.png$")
    [ "$n" -eq "$(echo $kset | wc -w)" ] ||
        fail "$what: $n PNGs, want $(echo $kset | wc -w): $kset"
    # run.sh's summary file: the training step among its totals
    if "$bin" summary "$tmp/real/$stem.csv" > "$tmp/summary.out" 2>&1 &&
        grep -q '^ *training step: fwd + bwd_d + bwd_w' "$tmp/summary.out"; then
        echo "ok: $what: summary with the training step"
    else
        fail "$what: convbench summary without the training step:"
        sed 's/^/    /' "$tmp/summary.out"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "test_plot: $failures check(s) failed"
    exit 1
fi
echo "test_plot: all checks passed"
