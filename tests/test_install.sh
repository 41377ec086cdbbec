#!/usr/bin/env bash
# The plugin route end to end (docs/design.md §12): install convbench into a
# temporary prefix, build the example plugin against the installed header
# and pkg-config file only (its Makefile, and its CMakeLists.txt), then
# verify it with the installed binary on a sweep, a named shape set (found
# next to the installed binary) and the golden cases.
set -u
build=$1 src=$2 check=$3 golden=$4
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
p=$tmp/prefix
cmake --install "$build" --prefix "$p" >"$tmp/install.log" 2>&1 ||
    { cat "$tmp/install.log"; echo "FAIL: cmake --install"; exit 1; }
cb=$p/bin/convbench
for f in "$cb" "$p/include/convbench/conv.h" "$p/lib/pkgconfig/convbench.pc" \
         "$p/share/convbench/shapes/resnet50"; do
    [ -e "$f" ] || fail "not installed: $f"
done
export PKG_CONFIG_PATH=$p/lib/pkgconfig
inc=$(echo $(pkg-config --cflags convbench)) # trims the trailing space
[ "$(cd "${inc#-I}" 2>/dev/null && pwd -P)" = "$(cd "$p/include/convbench" && pwd -P)" ] ||
    fail "pkg-config --cflags: $inc"
# The example is built from a copy: only the installed header can be seen.
cp -r "$src/examples/direct_plugin" "$tmp/ex"
make -s -C "$tmp/ex" OUT="$tmp" >"$tmp/make.log" 2>&1 ||
    { cat "$tmp/make.log"; fail "make of the example plugin"; }
cmake -S "$tmp/ex" -B "$tmp/exb" -DCMAKE_PREFIX_PATH="$p" >"$tmp/cm.log" 2>&1 &&
    cmake --build "$tmp/exb" >>"$tmp/cm.log" 2>&1 ||
    { cat "$tmp/cm.log"; fail "cmake build of the example plugin"; }
[ -f "$tmp/exb/direct.so" ] || fail "cmake build made no direct.so"
so=$tmp/direct.so
[ -f "$so" ] || { echo "FAIL: no $so"; exit 1; }

# Named sets from the installed share/, not from the source tree.
"$cb" list --shapes no_such_set >/dev/null 2>"$tmp/err"
grep -qF "a set in $p/bin/../share/convbench/shapes" "$tmp/err" ||
    fail "installed binary looks for sets elsewhere: $(cat "$tmp/err")"
"$cb" list --plugin "$so" --shapes resnet50 >"$tmp/list" 2>&1 ||
    fail "installed list --shapes resnet50: $(head -3 "$tmp/list")"
grep -qE "^  direct +available plugin $so$" "$tmp/list" || fail "list: no direct"
grep -q "supported by:.* direct" "$tmp/list" || fail "list: direct supports nothing"

# The sweep under both fills (int: bit-exact, it declares exact), and a
# shorter one on two threads (its OpenMP path; one thread is much faster on
# a loaded machine, where every parallel region waits for a time slice).
for run in "int 100 1" "real 100 1" "int 20 2"; do
    set -- $run
    "$cb" verify --plugin "$so" --algo direct --sweep $2 --seed 7 --fill $1 \
        --threads $3 --quiet --csv "$tmp/s.csv" >"$tmp/out" 2>&1 ||
        fail "sweep --fill $1 --threads $3: $(cat "$tmp/out")"
    n=$(grep -c '^direct,.*,PASSED,' "$tmp/s.csv")
    [ "$n" -eq $2 ] || fail "sweep --fill $1 --threads $3: $n of $2 rows PASSED"
done
# Its backward weights (bit-exact under int fill, bias included) and the
# direction it leaves out, UNSUPPORTED with its reason.
"$cb" verify --plugin "$so" --algo direct --dir bwd_d,bwd_w,bwd_wb --sweep 40 \
    --seed 7 --threads 1 --quiet --csv "$tmp/d.csv" >"$tmp/out" 2>&1 ||
    fail "backward sweep: $(cat "$tmp/out")"
n=$(grep -Ec '^direct,bwd_wb?,.*,PASSED,' "$tmp/d.csv")
[ "$n" -eq 80 ] || fail "backward sweep: $n of 80 bwd_w/bwd_wb rows PASSED"
n=$(grep -c '^direct,bwd_d,.*,UNSUPPORTED,bwd_d: not in this example' "$tmp/d.csv")
[ "$n" -eq 40 ] || fail "backward sweep: $n of 40 bwd_d rows UNSUPPORTED with the reason"
# Next to the built-in ones in a bench, with its file as origin.
"$cb" bench --plugin "$so" --algo naive,direct --desc mb1ic8ih12oc16kh3ph1 \
    --min-ms 1 --min-reps 2 --threads 2 --quiet --csv "$tmp/b.csv" >/dev/null 2>&1 ||
    fail "bench with the plugin"
grep -Eq "^direct,fwd,direct:ocb8:unit-stride,.*,PASSED,.*,$so(,|$)" "$tmp/b.csv" ||
    fail "bench row of direct: $(grep ^direct "$tmp/b.csv")"

# The golden cases through the installed binary's exec.
GOLDEN_ALGOS=direct bash "$src/tests/test_golden.sh" "$cb" "$check" "$golden" \
    --plugin "$so" >"$tmp/golden" 2>&1 || fail "golden: $(tail -5 "$tmp/golden")"
grep -Eq "golden \(fwd\): [1-9][0-9]* passed, 0 unsupported, 0 failed" "$tmp/golden" || fail "golden: $(cat "$tmp/golden")"
[ $fails -eq 0 ] && echo "install: all checks passed"
[ $fails -eq 0 ]
