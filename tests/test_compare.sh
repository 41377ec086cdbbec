#!/bin/sh
# convbench compare: exit codes and report contents on variants of one
# hand-made results CSV (tests/data/results_small.csv + .meta.json).
# usage: test_compare.sh CONVBENCH_BINARY REPO_ROOT
set -u
bin=${1:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
root=${2:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
fix=$root/tests/data/results_small.csv
[ -x "$bin" ] || { echo "FAIL: $bin is not executable"; exit 1; }
[ -r "$fix" ] || { echo "FAIL: fixture $fix missing"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_compare.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
cp "$fix" "$tmp/base.csv" && cp "$fix.meta.json" "$tmp/base.csv.meta.json"

# scale ALGO NAME FACTOR [SD_FACTOR] < in > out: multiplies the timing
# columns of rows whose algo and name match ("*" = any). Fields are split
# on commas outside quotes and re-joined untouched otherwise.
scale() {
    awk -F '\n' -v algo="$1" -v name="$2" -v k="$3" -v ks="${4:-$3}" '
    function split_csv(line, f,    n, i, c, inq, cur) {
        n = 0; cur = ""; inq = 0
        for (i = 1; i <= length(line); i++) {
            c = substr(line, i, 1)
            if (c == "\"") inq = !inq
            if (c == "," && !inq) { f[++n] = cur; cur = ""; continue }
            cur = cur c
        }
        f[++n] = cur
        return n
    }
    NR == 1 { n = split_csv($0, h); for (i = 1; i <= n; i++) col[h[i]] = i
              print; next }
    {
        n = split_csv($0, f)
        if ((algo == "*" || f[col["algo"]] == algo) &&
            (name == "*" || f[col["name"]] == name) &&
            f[col["median_ms"]] != "") {
            f[col["min_ms"]] = sprintf("%.6g", f[col["min_ms"]] * k)
            f[col["median_ms"]] = sprintf("%.6g", f[col["median_ms"]] * k)
            f[col["mean_ms"]] = sprintf("%.6g", f[col["mean_ms"]] * k)
            f[col["stddev_ms"]] = sprintf("%.6g", f[col["stddev_ms"]] * k * ks / k)
            f[col["gflops"]] = sprintf("%.4g", f[col["gflops"]] / k)
        }
        line = f[1]
        for (i = 2; i <= n; i++) line = line "," f[i]
        print line
    }'
}

# variant NAME: a current run in $tmp/NAME.csv with the baseline's meta
variant() {
    cp "$tmp/base.csv.meta.json" "$tmp/$1.csv.meta.json"
    cat > "$tmp/$1.csv"
}

# expect RC DESCRIPTION [PATTERN] -- ARGS...: runs compare, checks the exit
# code and that stdout+stderr matches the extended regex PATTERN.
expect() {
    want=$1 what=$2 pat=$3
    shift 3
    "$bin" compare "$@" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "FAIL: $what: exit $rc, expected $want; output:"
        sed 's/^/    /' "$tmp/out"
        failures=$((failures + 1))
    elif [ -n "$pat" ] && ! grep -Eq -- "$pat" "$tmp/out"; then
        echo "FAIL: $what: output lacks /$pat/; output:"
        sed 's/^/    /' "$tmp/out"
        failures=$((failures + 1))
    else
        echo "ok: $what (exit $rc)"
    fi
}

B=$tmp/base.csv

expect 0 "identical runs" "-> OK" "$B" "$B"

variant same < "$B"
expect 0 "identical copy with its own meta" "24 unchanged" "$B" "$tmp/same.csv"

sed '/^im2col_gemm,.*res2a_branch2b/s/,PASSED,,/,FAILED,"max_rel_err 0.03 > tolerance 1e-05, ""bad"" output",/' \
    "$B" | variant failed
expect 1 "PASSED -> FAILED is a correctness regression naming the row" \
    "im2col_gemm +resnet50:res2a_branch2b +PASSED +FAILED .*\"bad\" output" \
    "$B" "$tmp/failed.csv"

sed '/^im2col_gemm,.*res2a_branch2b/s/,PASSED,,/,UNSUPPORTED,"no longer, ""supported""",/' \
    "$B" | variant unsup
expect 1 "PASSED -> UNSUPPORTED is a regression" "newly unsupported" \
    "$B" "$tmp/unsup.csv"

sed '/^onednn,.*alexnet:conv2/d' "$B" | variant missing
expect 1 "a row missing from current is a regression" \
    "onednn +alexnet:conv2 .*missing from current" "$B" "$tmp/missing.csv"

expect 0 "a row missing from baseline is only counted as new" "1 new" \
    "$tmp/missing.csv" "$B"

sed '/^fft,.*alexnet:conv2/s/,ERROR,/,PASSED,/' "$B" | variant fixed
expect 0 "ERROR -> PASSED is an improvement" "Correctness improvements: 1" \
    "$B" "$tmp/fixed.csv"

scale onednn resnet50:res3a_branch1 2 < "$B" | variant slow2x
expect 1 "a 2x slower row is a performance regression" \
    "^Slower: 1|onednn +resnet50:res3a_branch1 .*\+100\.0%" \
    "$B" "$tmp/slow2x.csv"
expect 0 "the same row 2x faster is an improvement, not a regression" \
    "^Faster: 1" "$tmp/slow2x.csv" "$B"

scale onednn resnet50:res3a_branch1 1.05 < "$B" | variant slow5
expect 0 "a row 5% slower is within the 10% threshold" "0 slower" \
    --threshold 0.1 "$B" "$tmp/slow5.csv"

scale '*' '*' 1.05 < "$B" | variant all5
expect 0 "every row 5% slower is within the threshold" "0 slower" \
    "$B" "$tmp/all5.csv"

scale im2col_gemm resnet50:res2a_branch2b 1.15 < "$B" | variant slow15
expect 1 "15% slower with low noise exceeds the 10% threshold" "^Slower: 1" \
    --threshold 0.1 "$B" "$tmp/slow15.csv"
expect 0 "15% slower is within the default 25% threshold" "0 slower" \
    "$B" "$tmp/slow15.csv"
expect 0 "15% slower passes with --threshold 0.2" "0 slower" \
    --threshold 0.2 "$B" "$tmp/slow15.csv"

# stddev/median of 0.1 in both rows: noise bound 2*sqrt(0.01+0.01) = 28%
scale im2col_gemm resnet50:res2a_branch2b 1 4 < "$B" > "$tmp/noisy.csv"
cp "$B.meta.json" "$tmp/noisy.csv.meta.json"
scale im2col_gemm resnet50:res2a_branch2b 1.15 < "$tmp/noisy.csv" |
    variant noisy15
expect 0 "15% slower within the rows' own noise is not flagged" "0 slower" \
    "$tmp/noisy.csv" "$tmp/noisy15.csv"

scale '*' '*' 2 < "$B" | variant half
sed 's/"sgemm_gflops": *180\.5/"sgemm_gflops": 90.25/' \
    "$B.meta.json" > "$tmp/half.csv.meta.json"
expect 0 "2x slower on a machine with half the sgemm rate (normalised)" \
    "normalised.*0\.50x" "$B" "$tmp/half.csv"
expect 1 "the same run compared raw (--no-normalize) regresses" \
    "^Slower: 24" --no-normalize "$B" "$tmp/half.csv"
rm "$tmp/half.csv.meta.json"
expect 1 "without the current meta, raw times are compared" \
    "raw times compared" "$B" "$tmp/half.csv"

# bad input -> 2, with the file (and line, column) named
expect 2 "missing file" "nonexistent\.csv: cannot open" \
    "$B" "$tmp/nonexistent.csv"
sed '1s/median_ms/medianms/' "$B" | variant nocol
expect 2 "missing column" "nocol\.csv:1: no column \"median_ms\"" \
    "$B" "$tmp/nocol.csv"
sed '/^fft,.*res2a_branch2b/s/,PASSED,,\([^,]*\),\([^,]*\),[^,]*,/,PASSED,,\1,\2,abc,/' \
    "$B" | variant badnum
expect 2 "bad number" "badnum\.csv:[0-9]+: column 29 \(median_ms\): \"abc\"" \
    "$B" "$tmp/badnum.csv"
sed '3s/,PASSED,/,"PASSED,/' "$B" | variant badquote
expect 2 "stray quote" "badquote\.csv:4: field 25 \(quoted from line 3\)" \
    "$B" "$tmp/badquote.csv"
sed '3s/,PASSED,/,PAS"SED,/' "$B" | variant midquote
expect 2 "quote inside an unquoted field" \
    "midquote\.csv:3: field 25: stray quote in an unquoted field" \
    "$B" "$tmp/midquote.csv"
{ cat "$B"; printf 'naive,"open\n'; } | variant openquote
expect 2 "unterminated quote" "openquote\.csv:32: quoted field never closed" \
    "$B" "$tmp/openquote.csv"
sed '5s/,PASSED,/,PASSED,extra,/' "$B" | variant badwidth
expect 2 "wrong field count" "badwidth\.csv:5: 38 fields, the header has 37" \
    "$B" "$tmp/badwidth.csv"
printf 'just,some\ntext,here\n' | variant notcsv
expect 2 "not a results CSV" "notcsv\.csv:1: no column \"algo\"" \
    "$B" "$tmp/notcsv.csv"
: | variant empty
expect 2 "empty file" "empty\.csv: empty" "$tmp/empty.csv" "$B"
variant badmeta < "$B"
echo '{"sgemm_gflops": 12,' > "$tmp/badmeta.csv.meta.json"
expect 2 "malformed meta JSON" "badmeta\.csv\.meta\.json: byte" \
    "$B" "$tmp/badmeta.csv"
expect 2 "unknown option" "unknown option --bogus" --bogus "$B" "$B"

# Rows match by (algo, dir, desc): the same algorithm and problem in two
# directions, in another order in the current file, pair by direction (by
# (algo, desc) alone the 1 ms forward would meet the 10 ms bwd_d: "slower").
d=g1mb1ic4ih8iw8oc4oh8ow8kh3kw3sh1sw1ph1pw1dh0dw0
printf 'algo,dir,desc,status,median_ms,stddev_ms\nnaive,fwd,%s,PASSED,1,0\nnaive,bwd_d,%s,PASSED,10,0\n' \
    "$d" "$d" > "$tmp/dirb.csv"
printf 'algo,dir,desc,status,median_ms,stddev_ms\nnaive,bwd_d,%s,PASSED,10,0\nnaive,fwd,%s,PASSED,1,0\n' \
    "$d" "$d" > "$tmp/dirc.csv"
expect 0 "directions pair by dir" "2 matched, 0 missing.*0 slower" \
    "$tmp/dirb.csv" "$tmp/dirc.csv"
# a bwd_d that now fails is named with its direction
sed 's/bwd_d,\(.*\),PASSED,10,0/bwd_d,\1,FAILED,,/' "$tmp/dirc.csv" > "$tmp/dirf.csv"
expect 1 "bwd_d regression" "naive bwd_d .*PASSED +FAILED +now fails" \
    "$tmp/dirb.csv" "$tmp/dirf.csv"
# a file from before directions is all forward
cut -d, -f1,3- "$tmp/dirb.csv" | sed -n '1,2p' > "$tmp/nodir.csv"
expect 0 "no dir column: forward" "1 matched, 0 missing, 1 new" \
    "$tmp/nodir.csv" "$tmp/dirc.csv"
expect 2 "one file only" "needs BASELINE.csv and CURRENT.csv" "$B"

if [ "$failures" -ne 0 ]; then
    echo "test_compare: $failures check(s) failed"
    exit 1
fi
echo "test_compare: all checks passed"
