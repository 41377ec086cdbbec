#!/usr/bin/env bash
# convbench summary: exact network totals of tests/data/results_networks.csv
# (worked out by hand: see the note column), the count column, the
# per-layer choice table, a CSV written by convbench bench, and bad input
# (exit 2).
# usage: test_summary.sh CONVBENCH_BINARY REPO_ROOT
set -u
cb=${1:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
root=${2:?usage: $0 CONVBENCH_BINARY REPO_ROOT}
fix=$root/tests/data/results_networks.csv
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convbench_summary.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
# the table lines, spaces squeezed
squeeze() { sed -e 's/  */ /g' -e 's/^ //' -e 's/ $//'; }

# netA: x 3*1 + 4 + 2*0.25 = 7.5 over all 3 layers; y 3*2 + 0.5 = 6.5 (no
# l3 row); z only l3: 2*0.125 (its l1 time FAILED); w never timed; best:
# x on l1 (3), y on l2 (0.5), z on l3 (0.25) = 3.75. netB: conv ties at 10
# (x first wins), c2 passed nowhere, so every total there is incomplete.
cat > "$tmp/want" <<'WANT'
network netA: 3 layers, 6 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 7.500 3/3
y 6.500 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable
z 0.250 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/3 incomplete: 3 layer(s) not verified or untimed, not comparable
best per layer 3.750 3/3
layer count fastest median_ms count x med
netA:l1*3 3 x 1.000 3.000
netA:l2 1 y 0.500 0.500
netA:l3*2 2 z 0.125 0.250

network netB: 2 layers, 6 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
y 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
z - 0/2 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/2 incomplete: 2 layer(s) not verified or untimed, not comparable
best per layer 10.000 1/2 incomplete: 1 layer(s) not verified or untimed, not comparable
layer count fastest median_ms count x med
netB:conv 1 x 10.000 10.000
netB:c2*5 5 (none passed) - -

1 problem(s) without a NETWORK: prefix in the name left out
WANT
if "$cb" summary "$fix" --per-layer > "$tmp/out" 2>&1; then
    if squeeze < "$tmp/out" | diff "$tmp/want" - > "$tmp/diff"; then
        echo "ok: totals, per-layer choice, incomplete marks"
    else
        fail "summary --per-layer differs from the expected totals:"
        cat "$tmp/diff"
    fi
else
    fail "summary exited $?:"
    cat "$tmp/out"
fi

# a count column overrides the name's *N: all 1 here, so netA's x total is
# 1 + 4 + 0.25
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0 ",count"; next }
         /^$/ { print; next } { print $0 ",1" }' "$fix" > "$tmp/count.csv"
"$cb" summary "$tmp/count.csv" > "$tmp/out" 2>&1
if squeeze < "$tmp/out" | grep -qx 'x 5.250 3/3' &&
    squeeze < "$tmp/out" | grep -qx 'best per layer 1.625 3/3'; then
    echo "ok: count column"
else
    fail "count column not used:"
    cat "$tmp/out"
fi

# --choice-out: each layer's fastest verified algorithm, times as written
cat > "$tmp/choice_want" <<'WANT'
desc,name,count,algo,median_ms
"g1mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n""netA:l1*3""",netA:l1*3,3,x,1.0
"g1mb1ic8ih12iw12oc16oh6ow6kh3kw3sh2sw2ph1pw1dh0dw0n""netA:l2""",netA:l2,1,y,0.5
"g1mb1ic16ih6iw6oc16oh6ow6kh1kw1sh1sw1ph0pw0dh0dw0n""netA:l3*2""",netA:l3*2,2,z,0.125
"g2mb1ic4iw100oc8ow100kw5sw1pw2dw0n""netB:conv""",netB:conv,1,x,10
"g1mb1ic4ih5iw5oc4oh5ow5kh3kw3sh1sw1ph1pw1dh0dw0n""plain""",plain,1,x,1
WANT
if "$cb" summary "$fix" --choice-out "$tmp/choice.csv" > "$tmp/out" 2>&1 &&
    grep -q '5 layers (1 without a verified timing left out)' "$tmp/out" &&
    diff "$tmp/choice_want" "$tmp/choice.csv"; then
    echo "ok: --choice-out"
else
    fail "--choice-out:"
    cat "$tmp/out"
fi
if ls -a "$tmp" | grep -q 'tmp[A-Za-z0-9]\{6\}$'; then
    fail "--choice-out left a temporary file"
fi

# --networks: layers and counts from shape files, timings from the CSV row
# of the same problem (written differently, named differently). m1: x
# 2*1.0 + 0.25, y 2*2.0 (no l3 row), z 0.125, best 2*1.0 + 0.125; its third
# layer is in no CSV row. m2: the netB conv problem 3 times.
cat > "$tmp/m1.shapes" <<'SHAPES'
mb1ic8ih12iw12oc8oh12ow12kh3kw3sh1sw1ph1pw1dh0dw0n"m1:first*2"
mb1ic16ih6oc16kh1n"m1:second"
mb1ic3ih5oc4kh3n"m1:absent"
SHAPES
echo 'g2mb1ic4iw100oc8kw5pw2n"m2:conv*3"' > "$tmp/m2.shapes"
cat > "$tmp/want" <<'WANT'
network m1: 3 layers, 4 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 2.250 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable
y 4.000 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
z 0.125 1/3 incomplete: 2 layer(s) not verified or untimed, not comparable
w - 0/3 incomplete: 3 layer(s) not verified or untimed, not comparable
best per layer 2.125 2/3 incomplete: 1 layer(s) not verified or untimed, not comparable

network m2: 1 layers, 3 convolutions (count x median_ms, ms)
algorithm total_ms layers
x 30.000 1/1
y 30.000 1/1
z - 0/1 incomplete: 1 layer(s) not verified or untimed, not comparable
w - 0/1 incomplete: 1 layer(s) not verified or untimed, not comparable
best per layer 30.000 1/1

1 layer(s) of the networks have no row in FIX
WANT
sed -i "s|FIX|$fix|" "$tmp/want"
if "$cb" summary "$fix" --networks "$tmp/m1.shapes" --networks "$tmp/m2.shapes" \
    > "$tmp/out" 2>&1 && squeeze < "$tmp/out" | diff "$tmp/want" - > "$tmp/diff"; then
    echo "ok: --networks: shape files' layers, the CSV's timings"
else
    fail "--networks:"
    cat "$tmp/out" "$tmp/diff"
fi
# a set with a SET.d/ directory: every per-model file of it
if "$cb" summary "$fix" --networks torchvision > "$tmp/out" 2>&1 &&
    grep -q '^network resnet50: 23 layers, 53 convolutions' "$tmp/out" &&
    grep -q '^network alexnet: 5 layers' "$tmp/out"; then
    echo "ok: --networks torchvision: every per-model set"
else
    fail "--networks torchvision:"
    head -20 "$tmp/out"
fi

# a CSV as convbench bench writes it: one network, a repeated layer
if "$cb" bench --algo naive --desc 'mb1ic4ih8oc4kh3ph1n"t:a*3"' \
    --desc 'mb1ic4iw40oc4kw5pw2n"t:b"' --min-reps 2 --min-ms 1 --quiet \
    --csv "$tmp/bench.csv" > "$tmp/bench.out" 2>&1; then
    "$cb" summary "$tmp/bench.csv" > "$tmp/out" 2>&1
    # naive's total from the CSV itself (columns by header name): 3 x a + b
    want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                    $c["algo"] == "naive" {
                        t += ($c["name"] ~ /\*3$/ ? 3 : 1) * $c["median_ms"] }
                    END { printf "%.3f", t }' "$tmp/bench.csv")
    if squeeze < "$tmp/out" | grep -qx "naive $want 2/2" &&
        grep -q 'network t: 2 layers, 4 convolutions' "$tmp/out"; then
        echo "ok: a convbench bench CSV (naive total $want ms)"
    else
        fail "bench CSV: expected naive $want over 2/2:"
        cat "$tmp/out"
    fi
    "$cb" verify --algo naive --desc 'mb1ic4ih8oc4kh3ph1n"t:a"' --quiet \
        --csv "$tmp/verify.csv" > /dev/null 2>&1
    "$cb" summary "$tmp/verify.csv" > "$tmp/out" 2>&1
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q 'summary needs the CSV of a bench run' "$tmp/out"; then
        fail "verify-only CSV: exit $rc, want 2 with a message"
        cat "$tmp/out"
    else
        echo "ok: verify-only CSV refused (exit 2)"
    fi
else
    fail "convbench bench failed:"
    cat "$tmp/bench.out"
fi

# bad input: exit 2 with a message naming what is wrong
expect2() {
    local what=$1 pat=$2
    shift 2
    "$cb" summary "$@" > "$tmp/out" 2>&1
    local rc=$?
    if [ $rc -ne 2 ] || ! grep -Eq -- "$pat" "$tmp/out"; then
        fail "$what: exit $rc (want 2), output should match /$pat/:"
        sed 's/^/    /' "$tmp/out"
    else
        echo "ok: $what (exit 2)"
    fi
}
b=$tmp/bad.csv
expect2 "missing file" "nonexistent.csv: cannot open" "$tmp/nonexistent.csv"
: > "$b"
expect2 "empty file" "empty, no header" "$b"
printf 'algo,name,desc,status\nx,a:b,d,PASSED\n' > "$b"
expect2 "no median_ms column" 'no column "median_ms"' "$b"
sed '2s/,1.0,/,abc,/' "$fix" > "$b"
expect2 "bad median" 'bad.csv:2: column median_ms: "abc"' "$b"
sed '3s/,y,/,y,extra,/' "$fix" > "$b"
expect2 "field count" "bad.csv:3: 7 fields, the header has 6" "$b"
sed '3s/,y,/,x,/' "$fix" > "$b"
expect2 "duplicate algorithm row" "bad.csv:3: a second x row .* \(first on line 2\)" "$b"
sed '2s/netA:l1\*3,/netA:l1*0,/' "$fix" > "$b"
expect2 "repeat count 0" 'bad.csv:2: name "netA:l1\*0": repeat count' "$b"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $0 ",count"; next }
         NF == 0 { print; next }
         { print $0 "," (NR == 3 ? 2 : 1) }' "$fix" > "$b"
expect2 "counts disagree" "bad.csv:3: count 2 of .* differs from 1 on line 2" "$b"
sed '2s/,1.0,"g1mb1/,1.0,"g1mb1"x/' "$fix" > "$b"
expect2 "text after a closing quote" \
    "bad.csv:2: field 3 \(quoted from line 2\): text after the closing quote" "$b"
# The one CSV reader (out/csv_read.c) refuses a quote inside an unquoted
# field, in summary as in compare.
sed '3s/,y,/,y"z,/' "$fix" > "$b"
expect2 "stray quote" "bad.csv:3: field 4: stray quote in an unquoted field" "$b"
printf 'algo,name,desc,status,median_ms\nx,a:b,"d,PASSED,1\n' > "$b"
expect2 "unclosed quote" "bad.csv:2: quoted field never closed" "$b"
printf 'algo,name,desc,status,median_ms\nx,plain,d,PASSED,1\n' > "$b"
expect2 "no network names" "no problem is named NETWORK:LAYER" "$b"
expect2 "unknown option" "unknown option --bogus" "$fix" --bogus
expect2 "no CSV" "give a results CSV"
expect2 "two CSVs" "more than one CSV" "$fix" "$fix"
expect2 "--choice-out without a file" "needs a file" "$fix" --choice-out
expect2 "--networks unknown" "--networks nosuchset: .*neither a readable file" \
    "$fix" --networks nosuchset
printf 'mb1ic3ih5oc4kh3n"plain"\n' > "$tmp/plain.shapes"
expect2 "--networks without network names" "--networks: no problem is named" \
    "$fix" --networks "$tmp/plain.shapes"
expect2 "--choice-out unwritable" "cannot create $tmp/no/dir/c.csv" "$fix" \
    --choice-out "$tmp/no/dir/c.csv"

if [ "$failures" -ne 0 ]; then
    echo "test_summary: $failures check(s) failed"
    exit 1
fi
echo "test_summary: all checks passed"
